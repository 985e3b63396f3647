//! Heap: what every instruction would allocate on its 32 KiB SBF bump heap, measured by the
//! counting allocator of `session_keys_tests::heap` (the program's own allocations, syscalls
//! and CPIs excluded) plus the SBF entrypoint's allocations by formula, in a typical and a
//! worst case each. Worst cases are the largest a single transaction (1,232 bytes, legacy or
//! v0 with an address lookup table) carries within the limits of `constants.rs`.
//!
//! Each test prints its table (`cargo test -p session-keys-tests --test runtime heap --
//! --nocapture`) and asserts every total within [`HEAP_BUDGET`]; transactions the program must
//! refuse by a limit (`TooManyExecuteAccounts`, `TooManyTokenAccounts`) are measured too.
use anchor_lang::{prelude::Pubkey, Discriminator};
use session_keys::{
    constants::{MAX_ARG_RULES, MAX_INSTRUCTION_RULES, MAX_LABEL_LEN, MAX_MINTS, MAX_PROGRAMS},
    instructions::CreateSessionArgs,
    policy::{ArgKind, ArgRule, CmpOp},
};
use session_keys_tests::{
    alt::{lookup_keys, tx_bytes, v0_tx},
    client::{
        ix, pda,
        scope::{caps, instruction, program, CapsExt, ProgramScopeExt, Scope},
    },
    heap::{HeapRecord, HEAP_BUDGET},
    targets::{game, hostile},
    *,
};
use solana_sdk::{
    instruction::Instruction, signature::Keypair, signer::Signer, transaction::VersionedTransaction,
};

/// Largest transaction a validator accepts (`PACKET_DATA_SIZE`).
const TX_LIMIT: usize = 1232;
/// Most account keys one transaction may lock on mainnet today (the runtime's default
/// `transaction_account_lock_limit`; program-test's bank, with every feature on, allows 128).
const ACCOUNT_LOCKS: usize = 64;
/// Most accounts one instruction may reference (`MAX_ACCOUNTS_PER_INSTRUCTION`).
const MAX_INSTRUCTION_ACCOUNTS: usize = 255;
/// Inner calls of one `execute` (`constants::MAX_CALLS`).
const CALLS: usize = session_keys::constants::MAX_CALLS as usize;

/// One measured case.
struct Row {
    instruction: &'static str,
    case: String,
    record: HeapRecord,
    tx_bytes: usize,
    /// The case is a transaction the program must refuse (its heap still counts).
    refused: bool,
}

/// The table, in markdown.
fn table(rows: &[Row]) -> String {
    let mut s = String::from(
        "| instruction | case | tx bytes | account refs / distinct | program heap | entrypoint | total |\n\
         |---|---|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        s += &format!(
            "| {} | {} | {} | {} / {} | {} | {} | {} |\n",
            r.instruction,
            r.case,
            r.tx_bytes,
            r.record.account_refs,
            r.record.distinct_accounts,
            r.record.program_bytes,
            r.record.entrypoint_bytes,
            r.record.total()
        );
    }
    s
}

/// Where the measured tables are quoted for users.
const DOCS: &str = include_str!("../../../docs/11-performance.md");

/// Prints the table, then asserts that every case succeeded and fits the heap, and that
/// docs/11-performance.md quotes the table exactly (so the figures users read never drift).
#[track_caller]
fn report(title: &str, rows: &[Row]) {
    let quoted = format!("#### {title}\n\n{}", table(rows));
    println!("\n{quoted}");
    assert!(
        DOCS.contains(&quoted),
        "docs/11-performance.md does not quote this measurement; paste it in:\n\n{quoted}"
    );
    for r in rows {
        assert_eq!(
            r.record.succeeded, !r.refused,
            "{} ({}): outcome",
            r.instruction, r.case
        );
        assert!(r.tx_bytes <= TX_LIMIT, "{} ({})", r.instruction, r.case);
        assert!(
            r.record.total() <= HEAP_BUDGET,
            "{} ({}): {} heap bytes, over the {HEAP_BUDGET} a program can allocate",
            r.instruction,
            r.case,
            r.record.total()
        );
    }
}

/// Sends `tx` (whose top-level instructions are `ixs`, exactly one of session-keys) and returns
/// its row.
async fn measure(
    env: &mut TestEnv,
    name: &'static str,
    case: &str,
    tx: VersionedTransaction,
    ixs: &[Instruction],
) -> Row {
    measure_expecting(env, name, case, tx, ixs, Ok(())).await
}

/// [`measure`], for a transaction whose outcome is `expected`.
async fn measure_expecting(
    env: &mut TestEnv,
    name: &'static str,
    case: &str,
    tx: VersionedTransaction,
    ixs: &[Instruction],
    expected: Result<(), solana_sdk::transaction::TransactionError>,
) -> Row {
    let bytes = tx_bytes(&tx);
    let refused = expected.is_err();
    let (result, mut records) = env.send_measured(tx, ixs).await;
    assert_eq!(result, expected, "{name} ({case})");
    assert_eq!(
        records.len(),
        1,
        "{name} ({case}): one session-keys invocation"
    );
    Row {
        instruction: name,
        case: case.to_string(),
        record: records.remove(0),
        tx_bytes: bytes,
        refused,
    }
}

/// Measures `i` alone in a legacy transaction paid by the first signer.
async fn legacy_case(
    env: &mut TestEnv,
    name: &'static str,
    case: &str,
    i: Instruction,
    signers: &[&Keypair],
) -> Row {
    let tx = env
        .legacy_transaction(std::slice::from_ref(&i), signers)
        .await
        .into();
    measure(env, name, case, tx, &[i]).await
}

/// The mints of the biggest session: three new ones, then the default mint (last, so that
/// `transfer_token` scans the whole list).
async fn four_mints(env: &mut TestEnv) -> Vec<Pubkey> {
    let mut mints = Vec::new();
    for _ in 1..MAX_MINTS {
        mints.push(env.create_mint(&anchor_spl::token::ID).await);
    }
    mints.push(env.mint);
    mints
}

/// The biggest grant one `create_session` transaction can carry (v0, every key but the
/// owner's looked up): SOL caps, [`MAX_MINTS`] windowed mints (the vault approved on the
/// owner's account of the last one), a label of [`MAX_LABEL_LEN`] bytes, a use limit, and
/// [`MAX_PROGRAMS`] programs (the hostile target first, its first rule allowing
/// `steal_tokens`), filled with as many instruction rules and then one-byte argument rules
/// (the most heap per transaction byte) as fit. Returns the arguments and the create
/// instruction's transaction.
async fn biggest_session(
    env: &mut TestEnv,
    key: &Keypair,
    mints: &[Pubkey],
) -> (CreateSessionArgs, VersionedTransaction, Instruction) {
    let owner = env.owner.insecure_clone();
    let mut scope = Scope::until(START + 3600)
        .sol(caps(10 * SOL).window(3600, SOL))
        .max_uses(1_000)
        .label(&"L".repeat(usize::from(MAX_LABEL_LEN)))
        .delegate(100 * TOKEN);
    for m in mints {
        scope = scope.mint(*m, caps(1_000 * TOKEN).window(60, 100 * TOKEN));
    }
    scope = scope.program(program(hostile_target::ID).instruction(instruction(
        hostile_target::instruction::StealTokens::DISCRIMINATOR,
    )));
    scope = scope.program(program(example_game::ID));
    for _ in 2..MAX_PROGRAMS {
        scope = scope.program(program(Pubkey::new_unique()));
    }
    let mut args = scope.build(START).unwrap();
    let delegate = Some(ix::DelegateFrom {
        token_account: env.owner_ata,
        token_program: anchor_spl::token::ID,
    });
    let blockhash = env.ctx.last_blockhash;
    let build = |args: &CreateSessionArgs| {
        ix::create_session(
            &owner.pubkey(),
            &owner.pubkey(),
            &key.pubkey(),
            args.clone(),
            delegate,
        )
    };
    let table = env.lookup_table(lookup_keys(&[build(&args)])).await;
    let fits = |args: &CreateSessionArgs| {
        args.check(START).is_ok()
            && tx_bytes(&v0_tx(&[build(args)], &[&owner], &table, blockhash)) <= TX_LIMIT
    };
    // Instruction rules, round-robin over the programs, as many as fit.
    let mut n = 0u8;
    'rules: loop {
        let mut added = false;
        for p in 0..args.programs.len() {
            if args.programs[p].instructions.len() >= usize::from(MAX_INSTRUCTION_RULES) {
                continue;
            }
            let mut next = args.clone();
            n += 1;
            next.programs[p]
                .instructions
                .push(instruction(&[0xEE, n, 0, 0, 0, 0, 0, 1]));
            if !fits(&next) {
                break 'rules;
            }
            args = next;
            added = true;
        }
        if !added {
            break;
        }
    }
    // One-byte argument rules on every rule but the one the hostile calls match.
    'args: loop {
        let mut added = false;
        for p in 0..args.programs.len() {
            for r in 0..args.programs[p].instructions.len() {
                let rule = &args.programs[p].instructions[r];
                if (p == 0 && r == 0) || rule.args.len() >= usize::from(MAX_ARG_RULES) {
                    continue;
                }
                let mut next = args.clone();
                next.programs[p].instructions[r].args.push(ArgRule {
                    offset: 8,
                    kind: ArgKind::U8,
                    op: CmpOp::Le,
                    value: vec![200],
                });
                if !fits(&next) {
                    break 'args;
                }
                args = next;
                added = true;
            }
        }
        if !added {
            break;
        }
    }
    let create = build(&args);
    let tx = v0_tx(std::slice::from_ref(&create), &[&owner], &table, blockhash);
    (args, tx, create)
}

/// Typical and worst case of every instruction but `execute`'s worst cases.
#[tokio::test]
async fn every_instruction_fits_the_heap() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.insecure_clone();
    let key = env.key.insecure_clone();
    let (o, k) = (owner.pubkey(), key.pubkey());
    let vault = pda::vault(&o).0;
    let mut rows = Vec::new();

    // deposit_sol / withdraw_sol (after create_session made the wallet): fixed size.
    let i = ix::deposit_sol(&o, 10 * SOL);
    rows.push(
        legacy_case(
            &mut env,
            "deposit_sol",
            "only case (fixed size)",
            i,
            &[&owner],
        )
        .await,
    );

    // create_session: one windowed mint with a delegate approval, and the biggest grant.
    let args = Scope::until(START + 3600)
        .mint(env.mint, caps(100 * TOKEN).window(3600, 10 * TOKEN))
        .delegate(100 * TOKEN)
        .label("Dungeon Quest")
        .build(START)
        .unwrap();
    let delegate = Some(ix::DelegateFrom {
        token_account: env.owner_ata,
        token_program: anchor_spl::token::ID,
    });
    let i = ix::create_session(&o, &o, &k, args, delegate);
    rows.push(
        legacy_case(
            &mut env,
            "create_session",
            "1 mint + delegate",
            i,
            &[&owner],
        )
        .await,
    );
    let i = ix::withdraw_sol(&o, &Pubkey::new_unique(), SOL);
    rows.push(
        legacy_case(
            &mut env,
            "withdraw_sol",
            "only case (fixed size)",
            i,
            &[&owner],
        )
        .await,
    );

    let mints = four_mints(&mut env).await;
    let big = Keypair::new();
    let (args, tx, create) = biggest_session(&mut env, &big, &mints).await;
    let case = format!(
        "biggest grant (v0 + lookup table): {} mints, SOL, {} programs, {} rules, {} arg rules, {}-byte session",
        args.mints.len(),
        args.programs.len(),
        args.programs.iter().map(|p| p.instructions.len()).sum::<usize>(),
        args.programs
            .iter()
            .flat_map(|p| &p.instructions)
            .map(|r| r.args.len())
            .sum::<usize>(),
        args.space()
    );
    rows.push(measure(&mut env, "create_session", &case, tx, &[create]).await);

    // transfer_token / transfer_sol: on the small session, and on the biggest one (its mint
    // last in the list).
    let t = env.transfer_ix(TOKEN).await;
    rows.push(legacy_case(&mut env, "transfer_token", "1-mint session", t, &[&key]).await);
    let (from, mint, to) = (env.owner_ata, env.mint, env.recipient_ata);
    let accounts = env.transfer_accounts(&from, &mint, &to).await;
    let t = ix::transfer_token(&big.pubkey(), &o, accounts, TOKEN, DECIMALS);
    env.send_owner(&[solana_system_interface::instruction::transfer(
        &o,
        &big.pubkey(),
        SOL,
    )])
    .await
    .unwrap();
    rows.push(
        legacy_case(
            &mut env,
            "transfer_token",
            "biggest session, 4th mint",
            t,
            &[&big],
        )
        .await,
    );

    let small_sol = Keypair::new();
    let args = Scope::until(START + 3600)
        .sol(caps(SOL).window(3600, SOL / 2))
        .build(START)
        .unwrap();
    env.send_owner(&[ix::create_session(&o, &o, &small_sol.pubkey(), args, None)])
        .await
        .unwrap();
    env.send_owner(&[solana_system_interface::instruction::transfer(
        &o,
        &small_sol.pubkey(),
        SOL,
    )])
    .await
    .unwrap();
    let t = ix::transfer_sol(&small_sol.pubkey(), &o, &Pubkey::new_unique(), SOL / 10);
    rows.push(
        legacy_case(
            &mut env,
            "transfer_sol",
            "SOL-only session",
            t,
            &[&small_sol],
        )
        .await,
    );
    let t = ix::transfer_sol(&big.pubkey(), &o, &Pubkey::new_unique(), SOL / 10);
    rows.push(legacy_case(&mut env, "transfer_sol", "biggest session", t, &[&big]).await);

    // withdraw_token / close_vault_token_account: SPL Token and Token-2022 accounts.
    for (program, label) in [
        (anchor_spl::token::ID, "SPL Token"),
        (anchor_spl::token_2022::ID, "Token-2022"),
    ] {
        let m = env.create_mint(&program).await;
        let vault_tokens = env.create_token_account(&m, &vault).await;
        let owner_tokens = env.create_token_account(&m, &o).await;
        env.mint_to(&m, &vault_tokens, 5 * TOKEN).await;
        let accounts = env
            .transfer_accounts(&vault_tokens, &m, &owner_tokens)
            .await;
        let i = ix::withdraw_token(&o, accounts, 5 * TOKEN, DECIMALS);
        rows.push(legacy_case(&mut env, "withdraw_token", label, i, &[&owner]).await);
        let i = ix::close_vault_token_account(&o, &vault_tokens, &o, &program);
        rows.push(legacy_case(&mut env, "close_vault_token_account", label, i, &[&owner]).await);
    }

    // revoke_session: the small SOL session (by its key) and the biggest one (by the owner).
    let i = ix::revoke_session(&small_sol.pubkey(), &o, &small_sol.pubkey(), &o);
    rows.push(
        legacy_case(
            &mut env,
            "revoke_session",
            "SOL-only session",
            i,
            &[&small_sol],
        )
        .await,
    );
    let i = ix::revoke_session(&o, &o, &big.pubkey(), &o);
    rows.push(legacy_case(&mut env, "revoke_session", "biggest session", i, &[&owner]).await);

    // close_session: expired sessions, small and biggest.
    let big2 = Keypair::new();
    let (_, tx, create) = biggest_session(&mut env, &big2, &mints).await;
    let (r, _) = env.send_measured(tx, &[create]).await;
    r.unwrap();
    env.set_time(START + 3600).await;
    let i = ix::close_session(&o, &k, &o);
    rows.push(
        legacy_case(
            &mut env,
            "close_session",
            "expired 1-mint session",
            i,
            &[&owner],
        )
        .await,
    );
    let i = ix::close_session(&o, &big2.pubkey(), &o);
    rows.push(
        legacy_case(
            &mut env,
            "close_session",
            "expired biggest session",
            i,
            &[&owner],
        )
        .await,
    );

    // revoke_all_sessions: no token accounts, then as many delegated ones as fit.
    let i = ix::revoke_all_sessions(&o, &[]);
    rows.push(
        legacy_case(
            &mut env,
            "revoke_all_sessions",
            "no token accounts",
            i,
            &[&owner],
        )
        .await,
    );

    report("Heap per instruction", &rows);
}

/// `execute` of the example game: one `move_player` on a game session.
#[tokio::test]
async fn typical_execute_fits_the_heap() {
    let mut env = TestEnv::new().await;
    let (o, k) = (env.owner.pubkey(), env.key.pubkey());
    let key = env.key.insecure_clone();
    let vault = pda::vault(&o).0;
    env.send_owner(&[ix::deposit_sol(&o, SOL)]).await.unwrap();
    let args = Scope::until(START + 3600)
        .sol(caps(SOL / 10))
        .program(game::session_scope(50_000_000))
        .label("Dungeon Quest")
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    env.send_key(&[ix::execute(&k, &o, &[game::create_player(&vault)])])
        .await
        .unwrap();
    let i = ix::execute(&k, &o, &[game::move_player(&vault, 1, -1)]);
    let rows = vec![legacy_case(&mut env, "execute", "game move_player, 1 call", i, &[&key]).await];
    report("Heap of a typical execute", &rows);
}

/// What a worst-case `execute` needs: the vault's token accounts (`watched`, each of its own
/// mint, the first one funded), a thief's account, and a session in whose scope the hostile
/// target's `steal_tokens` is.
struct Batch {
    vault: Pubkey,
    source: Pubkey,
    thief: Pubkey,
    watched: Vec<Pubkey>,
}

impl Batch {
    /// `watched` vault token accounts, each of its own mint.
    async fn new(env: &mut TestEnv, watched: usize) -> Self {
        Self::with_mints(env, watched, true).await
    }

    /// `watched` vault token accounts, each of its own mint or all of the default one.
    async fn with_mints(env: &mut TestEnv, watched: usize, own_mints: bool) -> Self {
        let o = env.owner.pubkey();
        let vault = pda::vault(&o).0;
        let mint = env.mint;
        let source = env.create_token_account(&mint, &vault).await;
        env.mint_to(&mint, &source, 100 * TOKEN).await;
        let thief = env.create_token_account(&mint, &Pubkey::new_unique()).await;
        let mut accounts = Vec::new();
        for _ in 0..watched {
            let m = if own_mints {
                env.create_mint(&anchor_spl::token::ID).await
            } else {
                mint
            };
            accounts.push(env.create_token_account(&m, &vault).await);
        }
        Self {
            vault,
            source,
            thief,
            watched: accounts,
        }
    }

    /// `steal_tokens` of one base unit of the default mint, with `extra` accounts appended
    /// (Anchor passes them on as remaining accounts, `execute` watches them).
    fn call(&self, mint: &Pubkey, extra: &[Pubkey]) -> Instruction {
        let mut i = hostile::steal_tokens(
            &self.vault,
            &self.source,
            mint,
            &self.thief,
            &anchor_spl::token::ID,
            1,
            DECIMALS,
        );
        i.accounts.extend(
            extra
                .iter()
                .map(|k| solana_sdk::instruction::AccountMeta::new_readonly(*k, false)),
        );
        i
    }
}

/// A session over the default mint that may call the hostile target.
async fn hostile_session(env: &mut TestEnv) {
    let args = Scope::until(START + 3600)
        .mint(env.mint, caps(1_000 * TOKEN))
        .program(program(hostile_target::ID))
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
}

/// The biggest `execute` the program accepts, and the biggest a transaction can carry (which
/// the program refuses by name): both within the heap, entrypoint included.
#[tokio::test]
async fn worst_execute_fits_the_heap() {
    let mut rows = Vec::new();
    let watched_max = usize::from(session_keys::constants::MAX_WATCHED_TOKEN_ACCOUNTS);
    let refs_max = usize::from(session_keys::constants::MAX_EXECUTE_ACCOUNTS);

    // The shape issue 8 measured before the fix (about 40 KB then): 4 calls over 9 vault
    // token accounts of one mint.
    let mut env = TestEnv::new().await;
    let (o, k) = (env.owner.pubkey(), env.key.pubkey());
    let key = env.key.insecure_clone();
    hostile_session(&mut env).await;
    let nine = Batch::with_mints(&mut env, 8, false).await;
    let mint = env.mint;
    let mut calls = vec![nine.call(&mint, &nine.watched)];
    calls.extend((1..CALLS).map(|_| nine.call(&mint, &[])));
    let i = ix::execute(&k, &o, &calls);
    let case = format!("legacy, {CALLS} calls, 9 watched token accounts of one mint");
    rows.push(legacy_case(&mut env, "execute", &case, i, &[&key]).await);

    // Legacy transaction: 4 calls, the first listing as many vault token accounts (each of
    // its own mint) as fit in 1,232 bytes and the program watches.
    let batch = Batch::new(&mut env, 40).await;
    let mint = env.mint;
    let mut n = 0;
    let mut best = None;
    while n < watched_max && n <= batch.watched.len() {
        let mut calls = vec![batch.call(&mint, &batch.watched[..n])];
        calls.extend((1..CALLS).map(|_| batch.call(&mint, &[])));
        let i = ix::execute(&k, &o, &calls);
        let tx: VersionedTransaction = env
            .legacy_transaction(std::slice::from_ref(&i), &[&key])
            .await
            .into();
        if tx_bytes(&tx) > TX_LIMIT {
            break;
        }
        best = Some((n, i));
        n += 1;
    }
    let (n, i) = best.unwrap();
    let case = format!("legacy, {CALLS} calls, {} watched token accounts", n + 1);
    rows.push(legacy_case(&mut env, "execute", &case, i, &[&key]).await);

    // v0 with a lookup table, on the biggest session: 4 calls, the most watched token
    // accounts and remaining accounts the program accepts, the call data padded to the
    // transaction limit.
    let mut env = TestEnv::new().await;
    let o = env.owner.pubkey();
    let mints = four_mints(&mut env).await;
    let big = Keypair::new();
    let (_, tx, create) = biggest_session(&mut env, &big, &mints).await;
    let (r, _) = env.send_measured(tx, &[create]).await;
    r.unwrap();
    env.send_owner(&[solana_system_interface::instruction::transfer(
        &o,
        &big.pubkey(),
        SOL,
    )])
    .await
    .unwrap();
    // The owner's budget at its largest (8 assets), which every spend loads.
    let sol = session_keys::policy::SOL_ASSET;
    env.set_budget(&sol, budget(Some(100 * SOL), None))
        .await
        .unwrap();
    for m in &mints {
        env.set_budget(m, budget(Some(u64::MAX / 2), None))
            .await
            .unwrap();
    }
    for _ in 0..3 {
        let m = env.create_mint(&anchor_spl::token::ID).await;
        env.set_budget(&m, budget(Some(1), None)).await.unwrap();
    }
    let batch = Batch::new(&mut env, ACCOUNT_LOCKS - 10).await;
    let mint = env.mint;
    // The source is watched too.
    let mut calls = vec![batch.call(&mint, &batch.watched[..watched_max - 1])];
    calls.extend((1..CALLS).map(|_| batch.call(&mint, &[])));
    let fill = |calls: &mut Vec<Instruction>, limit: usize| {
        let mut refs = calls.iter().map(|c| 1 + c.accounts.len()).sum::<usize>();
        let mut next = 0;
        while refs < limit {
            let c = 1 + next % (CALLS - 1);
            calls[c]
                .accounts
                .push(solana_sdk::instruction::AccountMeta::new_readonly(
                    batch.watched[next % (watched_max - 1)],
                    false,
                ));
            next += 1;
            refs += 1;
        }
    };
    let mut accepted = calls.clone();
    fill(&mut accepted, refs_max);
    let blockhash = env.ctx.last_blockhash;
    let i = ix::execute(&big.pubkey(), &o, &accepted);
    let table = env
        .lookup_table(lookup_keys(std::slice::from_ref(&i)))
        .await;
    // Pad the calls' data (the target ignores trailing bytes) up to the size limit.
    let padded = |calls: &[Instruction], pad: usize| {
        let mut calls = calls.to_vec();
        for (j, c) in calls.iter_mut().enumerate() {
            c.data.extend(std::iter::repeat_n(
                0,
                pad / CALLS + usize::from(j < pad % CALLS),
            ));
        }
        ix::execute(&big.pubkey(), &o, &calls)
    };
    let mut pad = 0;
    while tx_bytes(&v0_tx(
        &[padded(&accepted, pad + 1)],
        &[&big],
        &table,
        blockhash,
    )) <= TX_LIMIT
    {
        pad += 1;
    }
    let i = padded(&accepted, pad);
    let tx = v0_tx(std::slice::from_ref(&i), &[&big], &table, blockhash);
    let case = format!(
        "v0 + lookup table, biggest session, 8-asset owner budget, {CALLS} calls, {watched_max} watched token accounts, {} account refs, {pad} bytes of padding",
        i.accounts.len()
    );
    rows.push(measure(&mut env, "execute", &case, tx, &[i]).await);

    // The most account references a transaction can carry: refused by name, and the
    // entrypoint's own copies of them still fit the heap.
    let mut refused = calls;
    fill(&mut refused, MAX_INSTRUCTION_ACCOUNTS - 5);
    let i = ix::execute(&big.pubkey(), &o, &refused);
    let table = env
        .lookup_table(lookup_keys(std::slice::from_ref(&i)))
        .await;
    let blockhash = env.ctx.last_blockhash;
    let tx = v0_tx(std::slice::from_ref(&i), &[&big], &table, blockhash);
    let case = format!(
        "refused (TooManyExecuteAccounts): {} account refs, the most an instruction carries",
        i.accounts.len()
    );
    let expected = Err(solana_sdk::transaction::TransactionError::InstructionError(
        0,
        solana_sdk::instruction::InstructionError::Custom(code(
            session_keys::errors::SessionError::TooManyExecuteAccounts,
        )),
    ));
    rows.push(measure_expecting(&mut env, "execute", &case, tx, &[i], expected).await);

    report("Heap of worst-case execute", &rows);
}

/// `n` new owner token accounts of the default mint, each with the vault approved as delegate.
async fn delegated_accounts(env: &mut TestEnv, n: usize) -> Vec<(Pubkey, Pubkey)> {
    let o = env.owner.pubkey();
    let vault = pda::vault(&o).0;
    let spl = anchor_spl::token::ID;
    let mut delegated = Vec::new();
    for i in 0..n {
        // A fresh slot now and then: one slot's cost limit caps how much one fee payer's
        // transactions may write-lock, and program-test waits for a slot that never comes.
        if i % 20 == 19 {
            let slot = env.clock().await.slot;
            env.ctx.warp_to_slot(slot + 1).unwrap();
        }
        let mint = env.mint;
        let account = env.create_token_account(&mint, &o).await;
        let approve =
            anchor_spl::token::spl_token::instruction::approve(&spl, &account, &vault, &o, &[], 1)
                .unwrap();
        env.send_owner(&[approve]).await.unwrap();
        delegated.push((account, spl));
    }
    delegated
}

/// `delegated` pairs, repeated up to the instruction's account limit: a repeat finds no
/// delegate left and is skipped, but the SBF entrypoint has already paid 48 heap bytes for
/// each of its references.
fn padded_pairs(delegated: &[(Pubkey, Pubkey)]) -> Vec<(Pubkey, Pubkey)> {
    let mut pairs = delegated.to_vec();
    while 2 + 2 * (pairs.len() + 1) <= MAX_INSTRUCTION_ACCOUNTS {
        pairs.push(delegated[pairs.len() % delegated.len()]);
    }
    pairs
}

/// `revoke_all_sessions` with the most pairs the program accepts (all delegated, each one a
/// revoke CPI), and with the most pairs one transaction carries (v0 + lookup table, repeated to
/// the instruction's 255 account references): refused by name before any CPI, and the
/// entrypoint's copies of the references still fit the heap.
#[tokio::test]
async fn worst_revoke_all_sessions_fits_the_heap() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.insecure_clone();
    let o = owner.pubkey();
    env.create_session(Scope::until(START + 60).sol(caps(1)).build(START).unwrap())
        .await
        .unwrap();
    let delegated = delegated_accounts(&mut env, ACCOUNT_LOCKS - 4).await;
    let max = usize::from(session_keys::constants::MAX_REVOKE_TOKEN_ACCOUNTS);
    let mut rows = Vec::new();

    let accepted = &delegated[..max];
    let i = ix::revoke_all_sessions(&o, accepted);
    let case = format!("legacy, {max} delegations revoked (the limit)");
    rows.push(legacy_case(&mut env, "revoke_all_sessions", &case, i, &[&owner]).await);
    for (account, _) in accepted {
        assert_eq!(env.token_account(account).await.delegate, None.into());
    }

    let pairs = padded_pairs(&delegated[max..]);
    let i = ix::revoke_all_sessions(&o, &pairs);
    let table = env
        .lookup_table(lookup_keys(std::slice::from_ref(&i)))
        .await;
    let blockhash = env.ctx.last_blockhash;
    let tx = v0_tx(std::slice::from_ref(&i), &[&owner], &table, blockhash);
    let case = format!(
        "v0 + lookup table, {} pairs, refused (TooManyTokenAccounts)",
        pairs.len()
    );
    let expected = Err(solana_sdk::transaction::TransactionError::InstructionError(
        0,
        solana_sdk::instruction::InstructionError::Custom(code(
            session_keys::errors::SessionError::TooManyTokenAccounts,
        )),
    ));
    rows.push(measure_expecting(&mut env, "revoke_all_sessions", &case, tx, &[i], expected).await);
    for (account, _) in &delegated[max..] {
        assert_eq!(env.token_account(account).await.delegated_amount, 1);
    }

    report("Heap of worst-case revoke_all_sessions", &rows);
}

/// `create_session_from_message`: the demo's grant (legacy transaction), and the biggest grant
/// a sponsored transaction carries (v0, every non-signer key looked up): the message is in the
/// transaction twice (the arguments and the Ed25519 instruction's text), so it is far smaller
/// than `create_session`'s biggest.
#[tokio::test]
async fn message_grant_fits_the_heap() {
    use session_keys::instructions::{MessageEnvelope, MessageGrantArgs};
    use session_keys_tests::client::message::{self, LOCALNET};
    // Fixed keys: the message text shows keys in base58 (43 or 44 characters), so random ones
    // would make the quoted sizes drift by a byte.
    let mut env = TestEnv::with_keys(
        program_test(),
        Keypair::new_from_array([7; 32]),
        Keypair::new_from_array([9; 32]),
    )
    .await;
    let sponsor = env.stranger.insecure_clone();
    let key = env.key.insecure_clone();
    let mut rows = Vec::new();
    let blockhash = env.ctx.last_blockhash;

    let sponsored = |player: &Keypair, args: &MessageGrantArgs| {
        let m = message::grant_message(args, &player.pubkey(), &key.pubkey(), LOCALNET).unwrap();
        message::sponsored_grant(
            &sponsor.pubkey(),
            &player.pubkey(),
            &key.pubkey(),
            args.clone(),
            &player.sign_message(&m),
            LOCALNET,
        )
        .unwrap()
        .to_vec()
    };
    // The demo's grant (demo/src/lib.rs, `gasless_grant`).
    let demo = MessageGrantArgs {
        expires_at: START + 3600,
        max_uses: Some(100),
        sol: Some(caps(SOL / 100)),
        mints: vec![],
        destinations: vec![],
        programs: vec![program(example_game::ID)],
        label: "Dungeon Quest".into(),
        domain: "dungeon.example".into(),
        message_number: 0,
        valid_until: START + 300,
        envelope: MessageEnvelope::Text,
    };
    let player = Keypair::new_from_array([21; 32]);
    let ixs = sponsored(&player, &demo);
    let tx = env.legacy_transaction(&ixs, &[&sponsor, &key]).await.into();
    rows.push(
        measure(
            &mut env,
            "create_session_from_message",
            "demo grant (legacy)",
            tx,
            &ixs,
        )
        .await,
    );

    // The biggest: the demo's domain and label, SOL caps with a window and a per-instruction
    // cap, then programs with instruction rules (what games need), then mints, while the v0
    // transaction fits.
    let player = Keypair::new_from_array([22; 32]);
    let mut big = demo.clone();
    big.sol = Some(caps(10 * SOL).per_instruction(SOL).window(3600, SOL));
    big.programs.clear();
    let table = env
        .lookup_table(lookup_keys(&sponsored(&player, &big)))
        .await;
    let fits = |args: &MessageGrantArgs| {
        args.to_create_args().check(START).is_ok()
            && tx_bytes(&v0_tx(
                &sponsored(&player, args),
                &[&sponsor, &key],
                &table,
                blockhash,
            )) <= TX_LIMIT
    };
    let mut n = 0u8;
    loop {
        let mut next = big.clone();
        n += 1;
        match next.programs.last_mut() {
            Some(p) if p.instructions.len() < usize::from(MAX_INSTRUCTION_RULES) => p
                .instructions
                .push(instruction(&[0xEE, n, 0, 0, 0, 0, 0, 1])),
            _ => next
                .programs
                .push(program(Pubkey::new_from_array([100 + n; 32]))),
        }
        if next.programs.len() > usize::from(MAX_PROGRAMS) || !fits(&next) {
            break;
        }
        big = next;
    }
    for i in 0..MAX_MINTS {
        let mut next = big.clone();
        next.mints.push(session_keys::instructions::MintCapsArgs {
            mint: Pubkey::new_from_array([200 + i; 32]),
            caps: caps(1_000 * TOKEN)
                .per_instruction(TOKEN)
                .window(60, 100 * TOKEN),
        });
        if !fits(&next) {
            break;
        }
        big = next;
    }
    let ixs = sponsored(&player, &big);
    let lookup = lookup_keys(&ixs);
    let table = env.lookup_table(lookup).await;
    let blockhash = env.ctx.last_blockhash;
    let tx = v0_tx(&ixs, &[&sponsor, &key], &table, blockhash);
    let case = format!(
        "biggest (v0 + lookup table): {} mints, SOL, {} programs, {} rules, {}-byte message",
        big.mints.len(),
        big.programs.len(),
        big.programs
            .iter()
            .map(|p| p.instructions.len())
            .sum::<usize>(),
        ixs[0].data.len() - 112,
    );
    rows.push(measure(&mut env, "create_session_from_message", &case, tx, &ixs).await);
    report("Heap of create_session_from_message", &rows);
}

/// The guardrails at their largest: setting the first and the eighth asset of an owner budget,
/// spending through a session with every mint, a rate limit and the longest reference history
/// while the owner's budget holds every asset, `preview` of such a session, and removing one
/// asset.
#[tokio::test]
async fn guardrails_fit_the_heap() {
    use session_keys::{constants::MAX_REFERENCE_HISTORY, policy::SOL_ASSET};
    let mut env = TestEnv::new().await;
    let owner = env.owner.insecure_clone();
    let key = env.key.insecure_clone();
    let (o, k) = (owner.pubkey(), key.pubkey());
    let mut rows = Vec::new();
    env.fund_vault(10 * SOL).await;

    let i = ix::set_budget(&o, &SOL_ASSET, budget(Some(5 * SOL), Some((3600, SOL))));
    rows.push(
        legacy_case(
            &mut env,
            "set_budget",
            "first asset (SOL), creates the account",
            i,
            &[&owner],
        )
        .await,
    );
    let mints = four_mints(&mut env).await;
    for m in &mints[..3] {
        env.set_budget(m, budget(Some(1_000 * TOKEN), Some((60, 100 * TOKEN))))
            .await
            .unwrap();
    }
    for _ in 0..3 {
        let m = env.create_mint(&anchor_spl::token::ID).await;
        env.set_budget(&m, budget(Some(TOKEN), None)).await.unwrap();
    }
    let i = ix::set_budget(
        &o,
        &env.mint,
        budget(Some(1_000 * TOKEN), Some((60, 100 * TOKEN))),
    );
    rows.push(legacy_case(&mut env, "set_budget", "8th asset (the most)", i, &[&owner]).await);

    let mut scope = Scope::until(START + 3600)
        .sol(caps(SOL).window(60, SOL / 2))
        .rate_limit(1_000, 60)
        .reference_history(MAX_REFERENCE_HISTORY)
        .delegate(100 * TOKEN);
    for m in &mints {
        scope = scope.mint(*m, caps(1_000 * TOKEN).window(60, 100 * TOKEN));
    }
    env.create_session(scope.build(START).unwrap())
        .await
        .unwrap();
    let to = Pubkey::new_unique();
    for r in 0..MAX_REFERENCE_HISTORY {
        let i = ix::transfer_sol_ref(&k, &o, &to, SOL / 100, Some(&[r; 16]));
        env.send_key(&[i]).await.unwrap();
    }
    let case =
        "4 mints, rate limit, full 16-reference history, 8-asset owner budget, 32-byte reference";
    let i = ix::transfer_sol_ref(&k, &o, &to, SOL / 100, Some(&[0xee; 32]));
    rows.push(legacy_case(&mut env, "transfer_sol", case, i, &[&key]).await);
    let (from, mint, rcpt) = (env.owner_ata, env.mint, env.recipient_ata);
    let t = env.transfer_accounts(&from, &mint, &rcpt).await;
    let i = ix::transfer_token_ref(&k, &o, t, TOKEN, DECIMALS, Some(&[0xef; 32]));
    rows.push(legacy_case(&mut env, "transfer_token", case, i, &[&key]).await);
    let i = ix::preview(
        &o,
        &k,
        session_keys::instructions::PreviewAction::Status,
        vec![],
    );
    rows.push(legacy_case(&mut env, "preview", "status of that session", i, &[&key]).await);
    let i = ix::preview_transfer_token(&o, &k, t, TOKEN, Some(&[0xef; 32]));
    rows.push(
        legacy_case(
            &mut env,
            "preview",
            "transfer_token of that session",
            i,
            &[&key],
        )
        .await,
    );
    let i = ix::remove_budget(&o, &SOL_ASSET);
    rows.push(legacy_case(&mut env, "remove_budget", "8 assets to 7", i, &[&owner]).await);

    report("Heap of the guardrails", &rows);
}
