//! Zero-copy reads of the instructions sysvar's data (the layout the runtime writes:
//! `solana_instructions_sysvar::construct_instructions_data`): a u16 count, a u16 offset per
//! instruction, then per instruction a u16 account count, 33 bytes per account, the program id,
//! a u16 data length and the data. Nothing is copied or allocated.
use anchor_lang::prelude::Pubkey;

fn usize_at(data: &[u8], at: usize) -> Option<usize> {
    u16_at(data, at).map(usize::from)
}

/// Number of instructions in the transaction.
pub fn count(data: &[u8]) -> Option<usize> {
    usize_at(data, 0)
}

/// Program id and data of top-level instruction `index`.
pub fn instruction_at(data: &[u8], index: usize) -> Option<(Pubkey, &[u8])> {
    if index >= count(data)? {
        return None;
    }
    let start = usize_at(data, index.checked_mul(2)?.checked_add(2)?)?;
    let accounts = usize_at(data, start)?;
    let program_at = start
        .checked_add(2)?
        .checked_add(accounts.checked_mul(33)?)?;
    let program: [u8; 32] = data
        .get(program_at..program_at.checked_add(32)?)?
        .try_into()
        .ok()?;
    let len_at = program_at.checked_add(32)?;
    let len = usize_at(data, len_at)?;
    let body = len_at.checked_add(2)?;
    Some((
        Pubkey::new_from_array(program),
        data.get(body..body.checked_add(len)?)?,
    ))
}

/// The little-endian `u16` at `at`, if `data` holds it.
pub(super) fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    let bytes = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([*bytes.first()?, *bytes.get(1)?]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_sysvar_reads_what_the_runtime_writes() {
        use anchor_lang::solana_program::instruction::{BorrowedAccountMeta, BorrowedInstruction};
        use anchor_lang::solana_program::sysvar::instructions::construct_instructions_data;
        let (p0, p1, a) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        let meta = || BorrowedAccountMeta {
            pubkey: &a,
            is_signer: true,
            is_writable: false,
        };
        let ixs = [
            BorrowedInstruction {
                program_id: &p0,
                accounts: vec![],
                data: &[1, 2, 3],
            },
            BorrowedInstruction {
                program_id: &p1,
                accounts: vec![meta(), meta(), meta()],
                data: &[],
            },
            BorrowedInstruction {
                program_id: &p0,
                accounts: vec![meta()],
                data: &[9; 300],
            },
        ];
        let data = construct_instructions_data(&ixs);
        assert_eq!(count(&data), Some(3));
        assert_eq!(instruction_at(&data, 0), Some((p0, &[1u8, 2, 3][..])));
        assert_eq!(instruction_at(&data, 1), Some((p1, &[][..])));
        assert_eq!(instruction_at(&data, 2), Some((p0, &[9u8; 300][..])));
        assert_eq!(instruction_at(&data, 3), None);
        // Truncated data never reads out of bounds.
        for cut in 0..data.len() {
            let _ = instruction_at(&data[..cut], 2);
        }
    }
}
