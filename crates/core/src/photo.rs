//! How alike two photos look (issue 23's report screening): a difference hash (dHash) of a
//! 9 × 8 grey thumbnail — each bit says whether a pixel is brighter than its right-hand
//! neighbour — so the same scene re-encoded, resized or slightly cropped keeps (nearly) the
//! same 64 bits, and unlike scenes differ in about half of them.

/// Bits two photos may differ in and still be the same picture.
pub const ALIKE_BITS: u32 = 6;

/// The dHash of a 9 × 8 grey image, rows top to bottom.
pub fn dhash(grey: &[u8; 72]) -> u64 {
    let mut bits = 0u64;
    for row in 0..8 {
        for col in 0..8 {
            let left = grey[row * 9 + col];
            let right = grey[row * 9 + col + 1];
            bits = (bits << 1) | u64::from(left > right);
        }
    }
    bits
}

/// True when a hash says enough to compare: a plain picture (a blank wall, an icon, a
/// one-pixel test image) has few edges, and every such picture would look alike.
pub fn telling(hash: u64) -> bool {
    (8..=56).contains(&hash.count_ones())
}

/// True when two hashes are of the same picture.
pub fn alike(a: u64, b: u64) -> bool {
    (a ^ b).count_ones() <= ALIKE_BITS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(flip: bool, noise: u8) -> [u8; 72] {
        let mut g = [0u8; 72];
        for (i, v) in g.iter_mut().enumerate() {
            let (r, c) = (i / 9, i % 9);
            let base = ((r * 7 + c * 13) % 31) as u8 * 8;
            *v = if flip { 255 - base } else { base };
            if noise > 0 && i % 5 == 0 {
                *v = v.saturating_add(noise);
            }
        }
        g
    }

    #[test]
    fn the_same_scene_slightly_changed_is_alike_and_another_scene_is_not() {
        let a = dhash(&gradient(false, 0));
        assert!(alike(a, a));
        assert!(alike(a, dhash(&gradient(false, 2))), "re-encoded noise");
        assert!(!alike(a, dhash(&gradient(true, 0))), "another picture");
        assert_eq!(dhash(&[7; 72]), 0, "a flat picture has no edges");
        assert!(!telling(0) && !telling(u64::MAX) && telling(a), "{a:b}");
    }
}
