//! Fresh GUIDs for operations, principals and keys: unique within a run and across runs.

use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A new GUID in Azure's `8-4-4-4-12` form (version 4 layout).
pub(crate) fn guid() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    #[expect(clippy::cast_possible_truncation, reason = "the low bits vary")]
    let seed = nanos as u64 ^ u64::from(std::process::id()).rotate_left(40);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let high = mix(seed ^ count.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let low = mix(high ^ count);
    let hex = format!("{high:016x}{low:016x}");
    format!(
        "{}-{}-4{}-8{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    #[test]
    fn guids_are_shaped_and_distinct() {
        let a = super::guid();
        let b = super::guid();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(
            a.split('-').map(str::len).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert_eq!(&a[14..15], "4");
    }
}
