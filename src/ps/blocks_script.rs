//! The `blocks:` phases: parallel blocks as throttled jobs, then sequential blocks one by one.
//! A block's code travels as a quoted string and becomes a script block inside its job.

use super::quote::{literal, one_line};
use super::spec::Block;
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
pub(crate) fn write_parallel(w: &mut ScriptWriter, blocks: &[Block], phase: Phase) {
    let names: Vec<String> = parallel(blocks).map(|b| one_line(&b.name)).collect();
    w.say(&format!(
        "[PROGRESS] {phase}: running {} parallel block(s): {}",
        names.len(),
        names.join(", ")
    ));
    for block in parallel(blocks) {
        write_block_job(w, block);
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
pub(crate) fn write_sequential(w: &mut ScriptWriter, blocks: &[Block], phase: Phase) {
    let total = sequential(blocks).count();
    w.say(&format!(
        "[PROGRESS] {phase}: running {total} block(s) in order"
    ));
    for (index, block) in sequential(blocks).enumerate() {
        let name = one_line(&block.name);
        w.say(&format!(
            "[INFO] Running block {name} ({}/{total})",
            index + 1
        ));
        write_block_job(w, block);
        w.line("Wait-AvdJobs");
        w.say(&format!("[SUCCESS] Block {name} complete"));
    }
    w.line("");
}

fn write_block_job(w: &mut ScriptWriter, block: &Block) {
    w.start_job(&block.name, "AvdBlockJob", 0, &[literal(&block.content)]);
}
