//! The program's one error enum. Codes are append-only: never reorder or remove a variant.
use anchor_lang::prelude::*;

/// Every rejection the program makes itself. Anchor adds 6000 to the index for the on-chain code.
#[error_code]
#[derive(PartialEq, Eq)]
pub enum SessionError {
    /// 6000
    #[msg("Session has expired: ask the owner to create a new session")]
    SessionExpired,
    /// 6001
    #[msg("Session was revoked by the owner (revoke all): ask the owner to create a new session")]
    SessionRevoked,
    /// 6002
    #[msg("The signer is not this session's key: sign with the session key the owner granted")]
    WrongSessionKey,
    /// 6003
    #[msg("The session key must differ from the owner: generate a fresh keypair for the session")]
    SessionKeyIsOwner,
    /// 6004
    #[msg("Expiry is not in the future: pass an expires_at later than the current unix time")]
    ExpiryInPast,
    /// 6005
    #[msg("Expiry is too far away: sessions last at most 30 days")]
    ExpiryTooFar,
    /// 6006
    #[msg("The session grants nothing: add a SOL allowance, a mint allowance or a program to its scope")]
    EmptyScope,
    /// 6007
    #[msg("Too many mints in one session: at most 4")]
    TooManyMints,
    /// 6008
    #[msg("Too many destinations in the allow-list: at most 8")]
    TooManyDestinations,
    /// 6009
    #[msg("Label is too long: at most 32 bytes")]
    LabelTooLong,
    /// 6010
    #[msg("The same mint is listed twice: merge its caps into one entry")]
    DuplicateMint,
    /// 6011
    #[msg("A cap of zero grants nothing: omit the optional cap, or set a positive value")]
    ZeroCap,
    /// 6012
    #[msg("A spending window needs a positive length in seconds and a positive cap")]
    InvalidWindow,
    /// 6013
    #[msg("This mint is not in the session's scope: ask the owner to grant it in a new session")]
    MintNotInScope,
    /// 6014
    #[msg("This session may not spend SOL: the owner must grant a SOL allowance in a new session")]
    SolNotInScope,
    /// 6015
    #[msg("Amount is above the session's per-instruction cap (one transfer, or one whole execute): send a smaller amount")]
    PerInstructionCapExceeded,
    /// 6016
    #[msg("Amount is above what is left in the current spending window: wait for the next window")]
    WindowCapExceeded,
    /// 6017
    #[msg("Amount is above the session's remaining lifetime allowance")]
    LifetimeCapExceeded,
    /// 6018
    #[msg("The session has used all its allowed uses: ask the owner to create a new session")]
    UsesExhausted,
    /// 6019
    #[msg("Destination is not in the session's allow-list")]
    DestinationNotAllowed,
    /// 6020
    #[msg("Source token account must belong to the session's owner or to the owner's vault")]
    WrongSourceAccount,
    /// 6021
    #[msg("This is not the vault PDA of the session's owner")]
    WrongVault,
    /// 6022
    #[msg("This is not the wallet account of the session's owner")]
    WrongWallet,
    /// 6023
    #[msg("Only the session's owner or its session key can revoke it")]
    UnauthorizedRevoker,
    /// 6024
    #[msg("Rent must go back to the account that paid it")]
    WrongRentPayer,
    /// 6025
    #[msg("The session is still active: only the owner or the session key can close it before it expires")]
    SessionStillActive,
    /// 6026
    #[msg("Amount must be greater than zero")]
    ZeroAmount,
    /// 6027
    #[msg("Arithmetic overflow: amount too large")]
    MathOverflow,
    /// 6028
    #[msg("Internal invariant violated (layout version, uses or a cap): the instruction was refused and nothing changed; please report it")]
    InvariantViolated,
    /// 6029
    #[msg("The same destination is listed twice")]
    DuplicateDestination,
    /// 6030
    #[msg("Delegate approval needs the owner's token account and its token program")]
    MissingDelegateAccounts,
    /// 6031
    #[msg("Only the owner can do this")]
    NotOwner,
    /// 6032
    #[msg("This program is not in the session's scope: the owner must grant it in a new session")]
    ProgramNotInScope,
    /// 6033
    #[msg("This instruction of the program is not in the session's scope")]
    InstructionNotInScope,
    /// 6034
    #[msg(
        "An argument of the call breaks a rule of the session's scope (e.g. an amount too large)"
    )]
    ArgumentRuleViolated,
    /// 6035
    #[msg("An account of the call is not one the session's scope allows at that position")]
    AccountRuleViolated,
    /// 6036
    #[msg("execute never calls this program (System, token programs, loaders, session-keys): use transfer_sol or transfer_token")]
    RefusedTarget,
    /// 6037
    #[msg("Too many programs in one session: at most 4")]
    TooManyPrograms,
    /// 6038
    #[msg("A scope rule is malformed: discriminator 1-8 bytes, integer values as wide as their kind, raw bytes 1-32 with = or != only, 1-3 keys per account rule")]
    InvalidScopeRule,
    /// 6039
    #[msg("The same program is listed twice: merge its rules into one entry")]
    DuplicateProgram,
    /// 6040
    #[msg("Too many rules: at most 8 instructions per program, 4 argument and 4 account rules per instruction")]
    TooManyRules,
    /// 6041
    #[msg("The call changed the owner, delegate, close authority or freeze state of, or closed, a token account the vault controls")]
    TokenAccountTampered,
    /// 6042
    #[msg(
        "The call reassigned, allocated or otherwise modified the vault beyond spending lamports"
    )]
    VaultModified,
    /// 6043
    #[msg("The call moved tokens of a mint the session has no caps for")]
    TokenOutflowNotInScope,
    /// 6044
    #[msg("Malformed execute: 1 to 4 calls, and the remaining accounts must hold exactly each call's program and accounts")]
    InvalidInnerInstruction,
    /// 6045
    #[msg("This account is not a session of the session-keys program")]
    InvalidSessionAccount,
    /// 6046
    #[msg("This session belongs to another wallet")]
    SessionOwnerMismatch,
    /// 6047
    #[msg("Sign with the owner's wallet, or with a session key and pass its session and the owner's wallet account")]
    NotOwnerOrSession,
    /// 6048
    #[msg("A destination allow-list cannot be combined with program scope (execute could send value anywhere): use two sessions")]
    DestinationsWithPrograms,
    /// 6049
    #[msg("The session would be larger than 1232 bytes: grant fewer mints, destinations, programs or rules")]
    SessionTooLarge,
    /// 6050
    #[msg("The token account to approve holds a mint this session has no caps for: add that mint's caps to the session")]
    DelegateMintNotGranted,
    /// 6051
    #[msg("The session key cannot be the owner's vault or wallet account: generate a fresh keypair for the session")]
    SessionKeyIsProgramAccount,
    /// 6052
    #[msg("The owner's vault is not the delegate of this token account: the owner must approve the vault again (or create a new session with a delegate amount)")]
    DelegationMissing,
    /// 6053
    #[msg("The vault's delegated amount on this token account is below the amount: the owner must approve a larger amount")]
    DelegationTooSmall,
    /// 6054
    #[msg("Source and destination are the same account (or SOL sent back to the vault): nothing to move")]
    SelfTransfer,
    /// 6055
    #[msg("The call revoked or used the vault's delegation on an owner token account without a matching charged outflow")]
    DelegationReduced,
    /// 6056
    #[msg("Too many accounts in one execute: at most 64 remaining accounts")]
    TooManyExecuteAccounts,
    /// 6057
    #[msg("Too many vault-controlled token accounts in one execute: at most 16")]
    TooManyWatchedAccounts,
    /// 6058. No longer returned: `revoke_all_sessions` skips such accounts so that nothing can
    /// block it. Kept because codes are append-only.
    #[msg(
        "The vault is not the delegate of this token account: leave it out of revoke_all_sessions"
    )]
    NotVaultDelegate,
    /// 6059
    #[msg(
        "Too many token accounts in one revoke_all_sessions: at most 16; send the rest in another"
    )]
    TooManyTokenAccounts,
    /// 6060
    #[msg("execute cannot account for a confidential (encrypted) balance: leave vault token accounts with confidential transfers out of execute")]
    ConfidentialAccount,
    /// 6061
    #[msg("No Ed25519 instruction right before create_session_from_message: put the one verifying the owner's message immediately before it")]
    MessageEd25519Missing,
    /// 6062
    #[msg("More than one Ed25519 instruction in the transaction: send exactly one, verifying the owner's message")]
    MessageEd25519NotUnique,
    /// 6063
    #[msg("The Ed25519 instruction must verify exactly one signature, with key, signature and message inside itself, in the standard layout (new_ed25519_instruction_with_signature)")]
    MessageEd25519Malformed,
    /// 6064
    #[msg("The message was not signed by the owner: the owner's wallet must sign it")]
    MessageSignerNotOwner,
    /// 6065
    #[msg("The signed message is not the one these arguments produce: rebuild it with the SDK for this program, cluster, session key and grant, and have the owner sign it again")]
    MessageMismatch,
    /// 6066
    #[msg("The signed message is past its valid-until time: have the owner sign a new one")]
    MessageExpired,
    /// 6067
    #[msg("The message number is not the owner's next one (already used, or killed by revoke_all_sessions): read the wallet's message_counter and sign a new message")]
    MessageNumberMismatch,
    /// 6068
    #[msg("The sponsor cannot be the session key: pay with a separate sponsor key")]
    SponsorIsSessionKey,
    /// 6069
    #[msg("Invalid app domain: 1 to 64 bytes of letters, digits, '.', '-' and ':'")]
    InvalidDomain,
    /// 6070
    #[msg("A label in a signed message must be printable ASCII (no line breaks)")]
    LabelNotPrintable,
    /// 6071
    #[msg("This Token-2022 mint has a transfer hook, and transfer_token cannot pass the hook's extra accounts: this mint cannot be moved with transfer_token")]
    TransferHookNotSupported,
    /// 6072
    #[msg("The owner's budget for this asset has too little left in this window: wait for the window to reopen (see preview) or ask the owner to raise the budget")]
    OwnerBudgetWindowExceeded,
    /// 6073
    #[msg("The owner's lifetime budget for this asset is spent: ask the owner to raise or remove the budget")]
    OwnerBudgetLifetimeExceeded,
    /// 6074
    #[msg("The budget account is not this owner's budget PDA [\"budget\", owner]: pass the owner's budget address (even when no budget is set)")]
    WrongBudget,
    /// 6075
    #[msg("Invalid budget: give a lifetime cap, a window, or both; every cap positive and a window cap not above the lifetime cap")]
    InvalidBudget,
    /// 6076
    #[msg("Too many budget assets: at most 8 per owner; remove one first")]
    TooManyBudgetAssets,
    /// 6077
    #[msg("Unknown asset: pass the native SOL address (all zeros) or a mint of SPL Token or Token-2022, with the mint account as the first remaining account")]
    UnknownAsset,
    /// 6078
    #[msg("The owner has no budget for this asset: nothing to remove")]
    BudgetNotSet,
    /// 6079
    #[msg("Invalid rate limit: uses and seconds must be positive")]
    InvalidRateLimit,
    /// 6080
    #[msg("Rate limited: the session used every action its window allows; retry once the window reopens (the time is in the program log and in preview)")]
    RateLimited,
    /// 6081
    #[msg("A payment reference must be 16 or 32 bytes")]
    InvalidReferenceLength,
    /// 6082
    #[msg("This reference was already used by this session: the payment was made; look it up instead of paying again")]
    ReferenceAlreadyUsed,
    /// 6083
    #[msg("This session keeps no reference history: send without a reference, or have the owner grant a session with reference_history above 0")]
    ReferencesNotEnabled,
    /// 6084
    #[msg("Reference history too long: at most 16")]
    ReferenceHistoryTooLong,
}

#[cfg(test)]
mod tests {
    use super::SessionError as E;
    use crate::constants::*;

    #[test]
    fn messages_that_name_a_limit_name_its_value() {
        let cases = [
            (
                E::ExpiryTooFar,
                vec![format!("{} days", MAX_SESSION_DURATION / 86_400)],
            ),
            (E::TooManyMints, vec![format!("at most {MAX_MINTS}")]),
            (
                E::TooManyDestinations,
                vec![format!("at most {MAX_DESTINATIONS}")],
            ),
            (
                E::LabelTooLong,
                vec![format!("at most {MAX_LABEL_LEN} bytes")],
            ),
            (E::TooManyPrograms, vec![format!("at most {MAX_PROGRAMS}")]),
            (
                E::InvalidScopeRule,
                vec![
                    format!("discriminator 1-{MAX_DISCRIMINATOR_LEN} bytes"),
                    format!("raw bytes 1-{MAX_RAW_ARG_LEN}"),
                    format!("1-{MAX_ACCOUNT_KEYS} keys"),
                ],
            ),
            (
                E::TooManyRules,
                vec![
                    format!("at most {MAX_INSTRUCTION_RULES} instructions"),
                    format!("{MAX_ARG_RULES} argument and {MAX_ACCOUNT_RULES} account rules"),
                ],
            ),
            (
                E::InvalidInnerInstruction,
                vec![format!("1 to {MAX_CALLS} calls")],
            ),
            (
                E::SessionTooLarge,
                vec![format!("{MAX_SESSION_SPACE} bytes")],
            ),
            (
                E::TooManyExecuteAccounts,
                vec![format!("at most {MAX_EXECUTE_ACCOUNTS}")],
            ),
            (
                E::TooManyTokenAccounts,
                vec![format!("at most {MAX_REVOKE_TOKEN_ACCOUNTS}")],
            ),
            (
                E::InvalidDomain,
                vec![format!("1 to {MAX_DOMAIN_LEN} bytes")],
            ),
            (
                E::TooManyWatchedAccounts,
                vec![format!("at most {MAX_WATCHED_TOKEN_ACCOUNTS}")],
            ),
            (
                E::TooManyBudgetAssets,
                vec![format!("at most {MAX_BUDGET_ASSETS}")],
            ),
            (
                E::ReferenceHistoryTooLong,
                vec![format!("at most {MAX_REFERENCE_HISTORY}")],
            ),
        ];
        for (error, needles) in cases {
            let msg = error.to_string();
            for needle in needles {
                assert!(msg.contains(&needle), "{error:?}: {msg:?} lacks {needle:?}");
            }
        }
    }
}
