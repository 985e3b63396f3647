//! Layout of the one Ed25519 precompile instruction a message grant accepts: what
//! `solana_ed25519_program::new_ed25519_instruction_with_signature` writes.
use super::super::PolicyResult;
use super::instructions_sysvar::u16_at;
use crate::errors::SessionError;
use anchor_lang::prelude::Pubkey;

/// Offset of the public key in the instruction data.
pub const PUBKEY_AT: usize = 16;
/// Offset of the signature.
pub const SIGNATURE_AT: usize = 48;
/// Offset of the message.
pub const MESSAGE_AT: usize = 112;
/// "This instruction" as an instruction index.
pub const THIS_INSTRUCTION: u16 = u16::MAX;

/// The signer's key and the message of an Ed25519 instruction's data, if it verifies
/// exactly one signature in the standard layout with everything inside itself
/// (instruction indexes `u16::MAX`): the key and message the precompile checked.
pub fn parse(data: &[u8]) -> PolicyResult<(Pubkey, &[u8])> {
    let bad = SessionError::MessageEd25519Malformed;
    let message = data.get(MESSAGE_AT..).ok_or(bad)?;
    let expected = [
        (SIGNATURE_AT, THIS_INSTRUCTION),
        (PUBKEY_AT, THIS_INSTRUCTION),
        (MESSAGE_AT, u16::try_from(message.len()).map_err(|_| bad)?),
    ];
    if data.get(..2) != Some(&[1, 0][..]) || u16_at(data, 14) != Some(THIS_INSTRUCTION) {
        return Err(bad);
    }
    for (i, (offset, index)) in expected.iter().enumerate() {
        let at = 2usize.saturating_add(i.saturating_mul(4));
        let want_offset = u16::try_from(*offset).map_err(|_| bad)?;
        if u16_at(data, at) != Some(want_offset)
            || u16_at(data, at.saturating_add(2)) != Some(*index)
        {
            return Err(bad);
        }
    }
    let key: [u8; 32] = data
        .get(PUBKEY_AT..SIGNATURE_AT)
        .and_then(|k| k.try_into().ok())
        .ok_or(bad)?;
    Ok((Pubkey::new_from_array(key), message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ed25519_data(msg: &[u8]) -> Vec<u8> {
        let mut d = vec![1, 0];
        for v in [
            48u16,
            u16::MAX,
            16,
            u16::MAX,
            112,
            msg.len() as u16,
            u16::MAX,
        ] {
            d.extend_from_slice(&v.to_le_bytes());
        }
        d.extend_from_slice(&[5; 32]);
        d.extend_from_slice(&[6; 64]);
        d.extend_from_slice(msg);
        d
    }

    #[test]
    fn ed25519_layout() {
        let data = ed25519_data(b"hello");
        let (key, msg) = parse(&data).unwrap();
        assert_eq!(key, Pubkey::new_from_array([5; 32]));
        assert_eq!(msg, b"hello");
        // Every header byte matters: two signatures, padding, any offset or index.
        for i in 0..16 {
            let mut d = data.clone();
            d[i] ^= 1;
            assert_eq!(
                parse(&d),
                Err(SessionError::MessageEd25519Malformed),
                "byte {i}"
            );
        }
        // Trailing or missing bytes change the message size.
        let mut longer = data.clone();
        longer.push(0);
        assert!(parse(&longer).is_err());
        assert!(parse(&data[..111]).is_err());
        assert!(parse(&[]).is_err());
    }
}
