//! The fixed PowerShell functions a generated script carries: failure, job throttling and relay,
//! downloads, download steps, installs, blocks. Values never appear here; they are arguments.

/// Always present: failing the operation, removing jobs, and a trap for any unexpected error.
pub(crate) const CORE: &str = r##"function Stop-AvdOperation {
    param([string]$Message)
    Write-Host ('[ERROR] ' + ($Message -replace '[\r\n]+', ' '))
    exit 1
}

function Remove-AvdJobs {
    foreach ($entry in @($script:AvdJobs)) {
        Stop-Job -Job $entry.Job -ErrorAction SilentlyContinue
        Remove-Job -Job $entry.Job -Force -ErrorAction SilentlyContinue
    }
    $script:AvdJobs = New-Object System.Collections.ArrayList
}

function Write-AvdElapsed {
    Write-Host ('[INFO] Elapsed: {0:N0} s' -f ((Get-Date) - $script:AvdStarted).TotalSeconds)
}

trap {
    Write-Host ('[ERROR] ' + ($_.Exception.Message -replace '[\r\n]+', ' '))
    Remove-AvdJobs
    exit 1
}
"##;

/// Jobs under the throttle: start, relay output with the job's name, fail on the first failure.
pub(crate) const JOBS: &str = r##"function Write-AvdLine {
    param([string]$Source, [string]$Text)
    foreach ($line in ($Text -split '\r?\n')) {
        if ($line.Trim().Length -eq 0) { continue }
        if ($line -cmatch '^\[OUTPUT\] ') {
            Write-Host $line
        } elseif ($line -cmatch '^\[(START|PROGRESS|VALIDATE|SUCCESS|ERROR|WARNING|INFO)\] ?(.*)$') {
            Write-Host ('[' + $Matches[1] + '] [' + $Source + '] ' + $Matches[2])
        } else {
            Write-Host ('[' + $Source + '] ' + $line)
        }
    }
}

function Receive-AvdJob {
    param([hashtable]$Entry)
    $jobErrors = @()
    $items = @(Receive-Job -Job $Entry.Job -ErrorAction SilentlyContinue -ErrorVariable jobErrors)
    foreach ($item in $items) {
        if ($null -eq $item) { continue }
        if ($item.PSObject.Properties['AvdResult']) {
            $Entry.Result = $item
        } else {
            Write-AvdLine $Entry.Name ([string]$item)
        }
    }
    foreach ($jobError in $jobErrors) { Write-AvdLine $Entry.Name ('[WARNING] ' + $jobError) }
}

function Complete-AvdJob {
    param([hashtable]$Entry)
    $Entry.Done = $true
    $reason = $Entry.Job.JobStateInfo.Reason
    foreach ($child in $Entry.Job.ChildJobs) {
        if ($null -eq $reason) { $reason = $child.JobStateInfo.Reason }
    }
    Remove-Job -Job $Entry.Job -Force -ErrorAction SilentlyContinue
    $result = $Entry.Result
    if ($null -eq $result) {
        $message = 'the job ended without reporting a result'
        if ($null -ne $reason) { $message = $reason.Message }
        Stop-AvdOperation ('Job failed: {0}: {1}' -f $Entry.Name, $message)
    }
    if (-not $result.Success) { Stop-AvdOperation ('Job failed: {0}: {1}' -f $Entry.Name, $result.Error) }
}

function Wait-AvdJobs {
    param([int]$Limit = 1)
    $finished = $false
    try {
        while ($true) {
            $running = 0
            foreach ($entry in @($script:AvdJobs)) {
                if ($entry.Done) { continue }
                $state = [string]$entry.Job.State
                Receive-AvdJob $entry
                if ($state -eq 'Completed' -or $state -eq 'Failed' -or $state -eq 'Stopped') {
                    Complete-AvdJob $entry
                    continue
                }
                if ((Get-Date) -gt $entry.Deadline) {
                    Stop-AvdOperation ('Job failed: {0}: timed out after {1} s' -f $entry.Name, $entry.Timeout)
                }
                $running++
            }
            if ($running -lt $Limit) { break }
            Start-Sleep -Milliseconds 500
        }
        $finished = $true
    } finally {
        if (-not $finished) { Remove-AvdJobs }
    }
}

function Start-AvdJob {
    param([string]$Name, [scriptblock]$Body, [object[]]$Arguments, [int]$TimeoutSeconds)
    Wait-AvdJobs -Limit $script:AvdThrottle
    $deadline = [datetime]::MaxValue
    if ($TimeoutSeconds -gt 0) { $deadline = (Get-Date).AddSeconds($TimeoutSeconds) }
    $job = Start-Job -ScriptBlock $Body -ArgumentList $Arguments
    $entry = @{ Name = $Name; Job = $job; Deadline = $deadline; Timeout = $TimeoutSeconds; Done = $false; Result = $null }
    [void]$script:AvdJobs.Add($entry)
}
"##;

/// The download job: cache check, retried download to a `.part` file, size and sha256 checks.
pub(crate) const DOWNLOAD_JOB: &str = r##"$AvdDownloadJob = {
    param([string]$Url, [string]$Path, [string]$Sha256, [long]$Size)
    $ErrorActionPreference = 'Stop'
    $ProgressPreference = 'SilentlyContinue'
    [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
    function Get-AvdFileProblem {
        param([string]$File)
        if (-not (Test-Path -LiteralPath $File -PathType Leaf)) { return 'file not found' }
        $length = (Get-Item -LiteralPath $File).Length
        if ($length -eq 0) { return 'file is empty' }
        if ($Size -gt 0 -and $length -ne $Size) { return ('size is {0} bytes, expected {1}' -f $length, $Size) }
        if ($Sha256) {
            $hash = (Get-FileHash -LiteralPath $File -Algorithm SHA256).Hash
            if ($hash -ne $Sha256) { return ('sha256 is {0}, expected {1}' -f $hash, $Sha256) }
        }
        return $null
    }
    try {
        if ($null -eq (Get-AvdFileProblem $Path)) {
            '[INFO] cached, download skipped'
            return [pscustomobject]@{ AvdResult = $true; Success = $true; Error = '' }
        }
        [void][System.IO.Directory]::CreateDirectory([System.IO.Path]::GetDirectoryName($Path))
        $partial = $Path + '.part'
        $attempt = 1
        while ($true) {
            try {
                $started = Get-Date
                Invoke-WebRequest -Uri $Url -OutFile $partial -UseBasicParsing
                $problem = Get-AvdFileProblem $partial
                if ($problem) { throw $problem }
                Move-Item -LiteralPath $partial -Destination $Path -Force
                '[INFO] downloaded {0:N1} MB in {1:N0} s' -f ((Get-Item -LiteralPath $Path).Length / 1048576), ((Get-Date) - $started).TotalSeconds
                break
            } catch {
                Remove-Item -LiteralPath $partial -Force -ErrorAction SilentlyContinue
                if ($attempt -ge 3) { throw }
                '[WARNING] attempt {0} of 3 failed: {1}; retrying in {2} s' -f $attempt, $_.Exception.Message, (10 * $attempt)
                Start-Sleep -Seconds (10 * $attempt)
                $attempt++
            }
        }
        [pscustomobject]@{ AvdResult = $true; Success = $true; Error = '' }
    } catch {
        [pscustomobject]@{ AvdResult = $true; Success = $false; Error = $_.Exception.Message }
    }
}
"##;

/// The download-step job: runs a tool (ODT's `setup.exe /download ...`) and expects exit code 0.
pub(crate) const TOOL_JOB: &str = r##"$AvdToolJob = {
    param([string]$Command, [string]$Arguments, [string]$WorkingDirectory)
    $ErrorActionPreference = 'Stop'
    $ProgressPreference = 'SilentlyContinue'
    try {
        $start = @{ FilePath = $Command; WorkingDirectory = $WorkingDirectory; Wait = $true; PassThru = $true }
        if ($Arguments) { $start.ArgumentList = $Arguments }
        $started = Get-Date
        $process = Start-Process @start
        if ($process.ExitCode -ne 0) { throw ('{0} exited with code {1}' -f $Command, $process.ExitCode) }
        '[INFO] download step finished in {0:N0} s' -f ((Get-Date) - $started).TotalSeconds
        [pscustomobject]@{ AvdResult = $true; Success = $true; Error = '' }
    } catch {
        [pscustomobject]@{ AvdResult = $true; Success = $false; Error = $_.Exception.Message }
    }
}
"##;

/// One install at a time: `Start-Process -Wait -PassThru`, 1618 retried, success codes, verify.
pub(crate) const INSTALL: &str = r##"function Start-AvdInstaller {
    param([string]$Name, [string]$FilePath, [string]$Arguments)
    try {
        if ($Arguments) {
            Start-Process -FilePath $FilePath -ArgumentList $Arguments -Wait -PassThru
        } else {
            Start-Process -FilePath $FilePath -Wait -PassThru
        }
    } catch {
        Stop-AvdOperation ('Install failed: {0}: {1}' -f $Name, $_.Exception.Message)
    }
}

function Install-AvdApp {
    param([string]$Name, [string]$Kind, [string]$Path, [string]$Arguments, [int[]]$SuccessCodes, [string[]]$Verify)
    if ($Kind -ne 'none') {
        if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) { Stop-AvdOperation ('Install failed: {0}: {1} not found' -f $Name, $Path) }
        $log = $Path + '.log'
        $program = $Path
        $programArguments = $Arguments
        if ($Kind -eq 'msi') {
            $program = 'msiexec.exe'
            $programArguments = ('/i "{0}" /qn /norestart /l*v "{1}" {2}' -f $Path, $log, $Arguments).TrimEnd()
        }
        $attempt = 1
        $process = Start-AvdInstaller $Name $program $programArguments
        while ($process.ExitCode -eq 1618 -and $attempt -lt 10) {
            Write-Host ('[WARNING] {0}: another installation is in progress (1618), retrying in 30 s ({1}/10)' -f $Name, $attempt)
            Start-Sleep -Seconds 30
            $attempt++
            $process = Start-AvdInstaller $Name $program $programArguments
        }
        $code = $process.ExitCode
        if ($SuccessCodes -notcontains $code) {
            $detail = ''
            if ($Kind -eq 'msi') { $detail = ' (log: ' + $log + ')' }
            Stop-AvdOperation ('Install failed: {0}: exit code {1}{2}' -f $Name, $code, $detail)
        }
        if ($code -eq 1641 -or $code -eq 3010) {
            $script:AvdRebootRequired = $true
            Write-Host ('[INFO] {0}: exit code {1}, a reboot is required' -f $Name, $code)
        }
    }
    foreach ($check in $Verify) {
        if (-not (Test-Path -LiteralPath $check)) { Stop-AvdOperation ('Verify failed: {0}: {1} not found' -f $Name, $check) }
    }
}

function Write-AvdReboot {
    if ($script:AvdRebootRequired) {
        Write-Host '[OUTPUT] REBOOT_REQUIRED=true'
    } else {
        Write-Host '[OUTPUT] REBOOT_REQUIRED=false'
    }
}
"##;

/// The block job: runs the block's code with every output stream turned into lines to relay.
pub(crate) const BLOCK_JOB: &str = r##"$AvdBlockJob = {
    param([string]$Content)
    $ErrorActionPreference = 'Stop'
    $ProgressPreference = 'SilentlyContinue'
    [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
    try {
        $block = [scriptblock]::Create($Content)
        & $block *>&1 | ForEach-Object {
            if ($_ -is [System.Management.Automation.ErrorRecord]) {
                '[WARNING] ' + $_.Exception.Message
            } elseif ($_ -is [System.Management.Automation.WarningRecord]) {
                '[WARNING] ' + $_.Message
            } elseif ($_ -is [System.Management.Automation.InformationRecord]) {
                [string]$_.MessageData
            } elseif ($_ -is [System.Management.Automation.VerboseRecord] -or $_ -is [System.Management.Automation.DebugRecord]) {
                $_.Message
            } elseif ($null -ne $_) {
                ($_ | Out-String).TrimEnd()
            }
        }
        [pscustomobject]@{ AvdResult = $true; Success = $true; Error = '' }
    } catch {
        [pscustomobject]@{ AvdResult = $true; Success = $false; Error = $_.Exception.Message }
    }
}
"##;
