//! Bit-packed assignments: one bit per variable, one encoding per assignment.

use crate::VerifyError;

/// Packs an assignment one bit per variable, variable 1 in bit 0 of byte 0.
pub fn pack(x: &[bool]) -> Vec<u8> {
    let mut out = vec![0u8; x.len().div_ceil(8)];
    for (i, &b) in x.iter().enumerate() {
        if b {
            out[i / 8] |= 1 << (i % 8);
        }
    }
    out
}

/// Unpacks `n` variables; the length must be exactly ⌈n/8⌉ bytes and unused bits zero, so
/// each assignment has one encoding.
pub fn unpack(bits: &[u8], n: u32) -> Result<Vec<bool>, VerifyError> {
    let n = n as usize;
    if bits.len() != n.div_ceil(8) {
        return Err(VerifyError::Length {
            expected: n.div_ceil(8),
            got: bits.len(),
        });
    }
    if !n.is_multiple_of(8) && bits[n / 8] >> (n % 8) != 0 {
        return Err(VerifyError::PaddingBits);
    }
    Ok((0..n).map(|i| bits[i / 8] >> (i % 8) & 1 == 1).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_is_canonical() {
        let x = [true, false, true, true, false, false, false, false, true];
        let b = pack(&x);
        assert_eq!(b, vec![0b0000_1101, 0b1]);
        assert_eq!(unpack(&b, 9).unwrap(), x);
        assert_eq!(unpack(&[0b1101, 0b11], 9), Err(VerifyError::PaddingBits));
        assert!(matches!(unpack(&[1], 9), Err(VerifyError::Length { .. })));
    }
}
