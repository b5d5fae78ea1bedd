//! The `blocks:` phases: parallel blocks as throttled jobs, then sequential blocks one by one.
//! A block's code travels as a quoted string and becomes a script block inside its job; its
//! output goes to a log file of its own on the VM.

use super::quote::{literal, one_line};
use super::spec::{BLOCK_LOG_DIR, Block, MAX_TIMEOUT_SECS, ScriptSpec};
use super::writer::{Phase, ScriptWriter};

/// The parallel blocks, in declared order.
pub(crate) fn parallel(blocks: &[Block]) -> impl Iterator<Item = &Block> {
    blocks.iter().filter(|block| block.parallel)
}

/// The sequential blocks, in declared order.
pub(crate) fn sequential(blocks: &[Block]) -> impl Iterator<Item = &Block> {
    blocks.iter().filter(|block| !block.parallel)
}

/// Every parallel block started as a job under the throttle, then all awaited.
pub(crate) fn write_parallel(w: &mut ScriptWriter, spec: &ScriptSpec, phase: Phase) {
    let names: Vec<String> = parallel(&spec.blocks).map(|b| one_line(&b.name)).collect();
    w.say(&format!(
        "[PROGRESS] {phase}: running {} parallel block(s): {}",
        names.len(),
        names.join(", ")
    ));
    for (index, block) in spec.blocks.iter().enumerate().filter(|(_, b)| b.parallel) {
        write_block_job(w, spec, index, block);
    }
    w.say(&format!(
        "[INFO] Waiting for {} block(s) to complete...",
        names.len()
    ));
    w.line("Wait-AvdJobs");
    w.say(&format!(
        "[SUCCESS] {phase}: {} parallel block(s) complete",
        names.len()
    ));
    w.line("");
}

/// Every sequential block run as a job of its own, each awaited before the next starts.
pub(crate) fn write_sequential(w: &mut ScriptWriter, spec: &ScriptSpec, phase: Phase) {
    let total = sequential(&spec.blocks).count();
    w.say(&format!(
        "[PROGRESS] {phase}: running {total} block(s) in order"
    ));
    let blocks = spec.blocks.iter().enumerate().filter(|(_, b)| !b.parallel);
    for (number, (index, block)) in blocks.enumerate() {
        let name = one_line(&block.name);
        w.say(&format!(
            "[INFO] Running block {name} ({}/{total})",
            number + 1
        ));
        write_block_job(w, spec, index, block);
        w.line("Wait-AvdJobs");
        w.say(&format!("[SUCCESS] Block {name} complete"));
    }
    w.line("");
}

fn write_block_job(w: &mut ScriptWriter, spec: &ScriptSpec, index: usize, block: &Block) {
    let log = log_file(&spec.operation_id, index, &block.name);
    w.start_job(
        &block.name,
        "AvdBlockJob",
        block.timeout_secs.min(MAX_TIMEOUT_SECS),
        &[
            literal(&block.content),
            literal(block.error_action.name()),
            literal(&log),
        ],
        Some(&log),
    );
}

/// `<BLOCK_LOG_DIR>\<operation>\<n>-<name>.log`, with every character that cannot be part of a
/// Windows file name replaced by `_` (`n` is the block's 1-based position, so names may repeat).
pub(crate) fn log_file(operation: &str, index: usize, name: &str) -> String {
    let safe = |text: &str| -> String {
        text.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!(
        "{BLOCK_LOG_DIR}\\{}\\{}-{}.log",
        safe(operation),
        index + 1,
        safe(name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_files_have_safe_names() {
        assert_eq!(
            log_file("golden-image-configure", 0, "vdot"),
            r"C:\Windows\Temp\avdeploy\golden-image-configure\1-vdot.log"
        );
        assert_eq!(
            log_file("op", 2, "a/b:c\\d ..\n"),
            r"C:\Windows\Temp\avdeploy\op\3-a_b_c_d_.._.log"
        );
    }
}
