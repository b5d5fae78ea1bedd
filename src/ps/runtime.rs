//! The fixed PowerShell functions a generated script carries: failure, job throttling and relay,
//! downloads, download steps, installs, blocks. Values never appear here; they are arguments.

/// Always present: failing the operation, removing jobs, and a trap for any unexpected error.
pub(crate) const CORE: &str = r##"function Stop-AvdOperation {
    param([string]$Message)
    Write-Host ('[ERROR] ' + ($Message -replace '[\r\n]+', ' '))
    exit 1
}

function Stop-AvdProcessTree {
    param([int]$ProcessId)
    try {
        $kill = Start-Process -FilePath 'taskkill.exe' -ArgumentList ('/PID {0} /T /F' -f $ProcessId) -WindowStyle Hidden -PassThru
        [void]$kill.WaitForExit(30000)
    } catch {
        Write-Host ('[WARNING] cannot stop process {0}: {1}' -f $ProcessId, $_.Exception.Message)
    }
}

function Remove-AvdJobs {
    foreach ($entry in @($script:AvdJobs)) {
        if (-not $entry.Done -and $entry.ProcessId) { Stop-AvdProcessTree $entry.ProcessId }
        Stop-Job -Job $entry.Job -ErrorAction SilentlyContinue
        Remove-Job -Job $entry.Job -Force -ErrorAction SilentlyContinue
    }
    $script:AvdJobs = New-Object System.Collections.ArrayList
}

function Set-AvdOutput {
    param([string]$Name, [string]$Value)
    $script:AvdOutputs[$Name] = $Value
}

function Write-AvdOutputs {
    foreach ($name in @($script:AvdOutputs.Keys)) {
        Write-Host ('[OUTPUT] ' + $name + '=' + $script:AvdOutputs[$name])
    }
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
        if ($line -cmatch '^\[OUTPUT\] ([A-Za-z_][A-Za-z0-9_]*)=(.*)$') {
            Set-AvdOutput $Matches[1] $Matches[2]
        } elseif ($line -cmatch '^\[(START|PROGRESS|VALIDATE|SUCCESS|ERROR|WARNING|INFO)\] ?(.*)$') {
            Write-Host ('[' + $Matches[1] + '] [' + $Source + '] ' + $Matches[2])
        } else {
            Write-Host ('[' + $Source + '] ' + $line)
        }
    }
}

function Write-AvdJobLog {
    param([hashtable]$Entry, [int]$Lines)
    if (-not $Entry.LogFile -or -not (Test-Path -LiteralPath $Entry.LogFile -PathType Leaf)) { return }
    $tail = @(Get-Content -LiteralPath $Entry.LogFile -Tail 200 -ErrorAction SilentlyContinue |
        Where-Object { $_ -cnotmatch '^\[(START|PROGRESS|VALIDATE|SUCCESS|ERROR|WARNING|INFO|OUTPUT)\]' } |
        Select-Object -Last $Lines)
    Write-Host ('[INFO] [{0}] output in {1}; its last {2} line(s):' -f $Entry.Name, $Entry.LogFile, $tail.Count)
    foreach ($line in $tail) { Write-Host ('[' + $Entry.Name + '] | ' + $line) }
}

function Receive-AvdJob {
    param([hashtable]$Entry)
    $jobErrors = @()
    $items = @(Receive-Job -Job $Entry.Job -ErrorAction SilentlyContinue -ErrorVariable jobErrors)
    foreach ($item in $items) {
        if ($null -eq $item) { continue }
        if ($item.PSObject.Properties['AvdProcessId']) {
            $Entry.ProcessId = $item.AvdProcessId
        } elseif ($item.PSObject.Properties['AvdResult']) {
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
        Write-AvdJobLog $Entry 20
        Stop-AvdOperation ('Job failed: {0}: {1}' -f $Entry.Name, $message)
    }
    if (-not $result.Success) {
        Write-AvdJobLog $Entry 20
        Stop-AvdOperation ('Job failed: {0}: {1}' -f $Entry.Name, $result.Error)
    }
    Write-AvdJobLog $Entry 5
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
                    Write-AvdJobLog $entry 20
                    Stop-AvdOperation ('Job failed: {0}: timed out after {1} s, its processes were stopped' -f $entry.Name, $entry.Timeout)
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
    param([string]$Name, [scriptblock]$Body, [object[]]$Arguments, [int]$TimeoutSeconds, [string]$LogFile = '')
    Wait-AvdJobs -Limit $script:AvdThrottle
    $deadline = [datetime]::MaxValue
    if ($TimeoutSeconds -gt 0) { $deadline = (Get-Date).AddSeconds($TimeoutSeconds) }
    $job = Start-Job -ScriptBlock $Body -ArgumentList $Arguments
    $entry = @{ Name = $Name; Job = $job; Deadline = $deadline; Timeout = $TimeoutSeconds; Done = $false; Result = $null; ProcessId = 0; LogFile = $LogFile }
    [void]$script:AvdJobs.Add($entry)
}
"##;

/// The download job: cache check, retried download to a `.part` file, size and sha256 checks.
pub(crate) const DOWNLOAD_JOB: &str = r##"$AvdDownloadJob = {
    param([string]$Url, [string]$Path, [string]$Sha256, [long]$Size)
    [pscustomobject]@{ AvdProcessId = $PID }
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
/// It waits for the tool's own process, not its descendants; the job's deadline bounds it, and
/// the parent stops the job's process tree when it passes.
pub(crate) const TOOL_JOB: &str = r##"$AvdToolJob = {
    param([string]$Command, [string]$Arguments, [string]$WorkingDirectory)
    [pscustomobject]@{ AvdProcessId = $PID }
    $ErrorActionPreference = 'Stop'
    $ProgressPreference = 'SilentlyContinue'
    try {
        $started = Get-Date
        if ($Arguments) {
            $process = Start-Process -FilePath $Command -ArgumentList $Arguments -WorkingDirectory $WorkingDirectory -PassThru
        } else {
            $process = Start-Process -FilePath $Command -WorkingDirectory $WorkingDirectory -PassThru
        }
        # Windows PowerShell 5.1 reports no exit code for a process whose handle was never read.
        [void]$process.Handle
        $process.WaitForExit()
        if ($process.ExitCode -ne 0) { throw ('{0} exited with code {1}' -f $Command, $process.ExitCode) }
        '[INFO] download step finished in {0:N0} s' -f ((Get-Date) - $started).TotalSeconds
        [pscustomobject]@{ AvdResult = $true; Success = $true; Error = '' }
    } catch {
        [pscustomobject]@{ AvdResult = $true; Success = $false; Error = $_.Exception.Message }
    }
}
"##;

/// One install at a time: the installer started without `-Wait` (which would also wait for every
/// process the installer leaves running) and awaited itself under the item's timeout, its process
/// tree stopped when it passes; 1618 retried, success codes, verify.
pub(crate) const INSTALL: &str = r##"function Invoke-AvdInstaller {
    param([string]$Name, [string]$FilePath, [string]$Arguments, [int]$TimeoutSeconds)
    try {
        if ($Arguments) {
            $process = Start-Process -FilePath $FilePath -ArgumentList $Arguments -PassThru
        } else {
            $process = Start-Process -FilePath $FilePath -PassThru
        }
        # Windows PowerShell 5.1 reports no exit code for a process whose handle was never read.
        [void]$process.Handle
    } catch {
        Stop-AvdOperation ('Install failed: {0}: {1}' -f $Name, $_.Exception.Message)
    }
    $limit = -1
    if ($TimeoutSeconds -gt 0) { $limit = [int][math]::Min([double]$TimeoutSeconds * 1000, [double][int]::MaxValue) }
    if (-not $process.WaitForExit($limit)) {
        Stop-AvdProcessTree $process.Id
        Stop-AvdOperation ('Install failed: {0}: timed out after {1} s, the installer and its child processes were stopped' -f $Name, $TimeoutSeconds)
    }
    return $process.ExitCode
}

function Install-AvdApp {
    param([string]$Name, [string]$Kind, [string]$Path, [string]$Arguments, [int[]]$SuccessCodes, [string[]]$Verify, [int]$TimeoutSeconds)
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
        $code = Invoke-AvdInstaller $Name $program $programArguments $TimeoutSeconds
        while ($code -eq 1618 -and $attempt -lt 10) {
            Write-Host ('[WARNING] {0}: another installation is in progress (1618), retrying in 30 s ({1}/10)' -f $Name, $attempt)
            Start-Sleep -Seconds 30
            $attempt++
            $code = Invoke-AvdInstaller $Name $program $programArguments $TimeoutSeconds
        }
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

function Set-AvdRebootOutput {
    if ($script:AvdRebootRequired) {
        Set-AvdOutput 'REBOOT_REQUIRED' 'true'
    } else {
        Set-AvdOutput 'REBOOT_REQUIRED' 'false'
    }
}
"##;

/// The block job. Native commands may write to StdErr freely: the job runs with
/// `$ErrorActionPreference = 'Continue'`, because under `Stop` Windows PowerShell 5.1 turns every
/// StdErr line of a native command in a job into a terminating error. A block with
/// `error_action: Stop` gets `Stop` for cmdlets and functions instead (through
/// `$PSDefaultParameterValues`), and a non-zero `$LASTEXITCODE` at its end fails it (`Continue`:
/// a warning). Every output line goes to the block's log file on the VM; only marker lines are
/// relayed, so the run-command transcript stays short.
pub(crate) const BLOCK_JOB: &str = r##"$AvdBlockJob = {
    param([string]$Content, [string]$ErrorAction, [string]$LogFile)
    [pscustomobject]@{ AvdProcessId = $PID }
    $ErrorActionPreference = 'Continue'
    $ProgressPreference = 'SilentlyContinue'
    [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
    if ($ErrorAction -eq 'Stop') { $PSDefaultParameterValues = @{ '*:ErrorAction' = 'Stop' } }
    $writer = $null
    try {
        [void][System.IO.Directory]::CreateDirectory([System.IO.Path]::GetDirectoryName($LogFile))
        $writer = New-Object System.IO.StreamWriter -ArgumentList $LogFile, $false, (New-Object System.Text.UTF8Encoding -ArgumentList $false)
        $writer.AutoFlush = $true
        $global:LASTEXITCODE = 0
        $block = [scriptblock]::Create($Content)
        & $block *>&1 | ForEach-Object {
            if ($_ -is [System.Management.Automation.ErrorRecord]) {
                if ($_.FullyQualifiedErrorId -like 'NativeCommandError*') { $text = [string]$_.Exception.Message } else { $text = '[WARNING] ' + $_.Exception.Message }
            } elseif ($_ -is [System.Management.Automation.WarningRecord]) {
                $text = '[WARNING] ' + $_.Message
            } elseif ($_ -is [System.Management.Automation.InformationRecord]) {
                $text = [string]$_.MessageData
            } elseif ($_ -is [System.Management.Automation.VerboseRecord] -or $_ -is [System.Management.Automation.DebugRecord]) {
                $text = $_.Message
            } elseif ($null -ne $_) {
                $text = ($_ | Out-String).TrimEnd()
            } else {
                $text = ''
            }
            foreach ($line in ($text -split '\r?\n')) {
                if ($line.Trim().Length -eq 0) { continue }
                $writer.WriteLine($line)
                if ($line -cmatch '^\[(START|PROGRESS|VALIDATE|SUCCESS|ERROR|WARNING|INFO|OUTPUT)\]') { $line }
            }
        }
        $code = $global:LASTEXITCODE
        if ($null -ne $code -and $code -ne 0) {
            $message = 'the last native command exited with code {0}' -f $code
            if ($ErrorAction -eq 'Stop') { throw $message }
            '[WARNING] ' + $message
        }
        [pscustomobject]@{ AvdResult = $true; Success = $true; Error = '' }
    } catch {
        [pscustomobject]@{ AvdResult = $true; Success = $false; Error = $_.Exception.Message }
    } finally {
        if ($null -ne $writer) { $writer.Dispose() }
    }
}
"##;
