//! Generated Windows PowerShell 5.1: parallel downloads, sequential installs, parallel blocks.

pub mod spec;

/// Pairs of parallel blocks that both start an MSI install.
pub fn msi_conflicts(blocks: &[spec::Block]) -> Vec<(String, String)> {
    let installs_msi = |b: &spec::Block| {
        let text = b.content.to_ascii_lowercase();
        text.contains("msiexec") || (text.contains("start-process") && text.contains(".msi"))
    };
    let msi: Vec<&spec::Block> = blocks
        .iter()
        .filter(|b| b.parallel && installs_msi(b))
        .collect();
    let mut pairs = Vec::new();
    for (i, a) in msi.iter().enumerate() {
        for b in &msi[i + 1..] {
            pairs.push((a.name.clone(), b.name.clone()));
        }
    }
    pairs
}
