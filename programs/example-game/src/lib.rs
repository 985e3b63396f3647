//! A small game used by the tests and the demo as a realistic `execute` target.
//!
//! A player account belongs to an `authority`: with session keys, that is the owner's vault
//! PDA, which signs every call made through `session_keys::execute`. Purchases pay SOL or an
//! SPL token from the authority to the game's treasury PDA.
//!
//! `move_as_owner` shows the other integration model, verify-in-target: the player belongs to
//! the owner's own wallet, and the instruction accepts either the owner's signature or a live
//! session key of the owner whose scope lists this program and instruction.
use anchor_lang::{prelude::*, system_program, Discriminator};
// The glob brings `SessionAuth` with the client modules and `SessionAuthBumps` that Anchor's
// derive needs for a composite accounts struct from another crate.
use anchor_spl::token_interface::{self, Mint, TokenAccount, TokenInterface, TransferChecked};
use session_keys::verify::*;

declare_id!("EMFziHrpsrLSELDiQM8QjsqfZrHSJhZZhkdMis778zPJ");

/// Seed of a player PDA: `["player", authority]`.
pub const PLAYER_SEED: &[u8] = b"player";
/// Seed of the treasury PDA: `["treasury"]`.
pub const TREASURY_SEED: &[u8] = b"treasury";

/// The example game.
#[program]
pub mod example_game {
    use super::*;

    /// Creates the authority's player at (0, 0) with 100 hp; the authority pays the rent.
    pub fn create_player(ctx: Context<CreatePlayer>) -> Result<()> {
        ctx.accounts.player.set_inner(Player {
            authority: ctx.accounts.authority.key(),
            x: 0,
            y: 0,
            hp: 100,
            items: 0,
            bump: ctx.bumps.player,
        });
        Ok(())
    }

    /// Creates the authority's player at (0, 0) with 100 hp, the rent paid by the game's
    /// treasury: a player with 0 SOL (gasless play, docs/12-gasless-play.md) gets an account
    /// without anyone funding their vault. The game funds the treasury; each call costs it the
    /// player account's rent (0.00127 SOL). The authority must be an owner's session-keys vault
    /// (it signs only through `execute`), so each player costs whoever makes it an owner wallet
    /// account (1,308,480 lamports of rent, never returned) and a session: more than the
    /// treasury pays, and one player per owner.
    pub fn create_player_funded(ctx: Context<CreatePlayerFunded>) -> Result<()> {
        let a = &ctx.accounts;
        let space = 8 + Player::INIT_SPACE;
        let authority = a.authority.key();
        let treasury_seeds: &[&[u8]] = &[TREASURY_SEED, &[ctx.bumps.treasury]];
        let player_seeds: &[&[u8]] = &[PLAYER_SEED, authority.as_ref(), &[ctx.bumps.player]];
        system_program::create_account(
            CpiContext::new_with_signer(
                a.system_program.key(),
                system_program::CreateAccount {
                    from: a.treasury.to_account_info(),
                    to: a.player.to_account_info(),
                },
                &[treasury_seeds, player_seeds],
            ),
            Rent::get()?.minimum_balance(space),
            space as u64,
            &crate::ID,
        )?;
        let player = Player {
            authority,
            x: 0,
            y: 0,
            hp: 100,
            items: 0,
            bump: ctx.bumps.player,
        };
        let mut data = a.player.try_borrow_mut_data()?;
        data[..8].copy_from_slice(Player::DISCRIMINATOR);
        player.serialize(&mut &mut data[8..])?;
        Ok(())
    }

    /// Moves the player by (dx, dy).
    pub fn move_player(ctx: Context<Act>, dx: i8, dy: i8) -> Result<()> {
        let p = &mut ctx.accounts.player;
        p.x = p.x.checked_add(i32::from(dx)).ok_or(GameError::OffTheMap)?;
        p.y = p.y.checked_add(i32::from(dy)).ok_or(GameError::OffTheMap)?;
        Ok(())
    }

    /// Moves a player owned by a wallet: signed by that wallet, or by one of its session keys.
    pub fn move_as_owner(ctx: Context<MoveAsOwner>, dx: i8, dy: i8) -> Result<()> {
        ctx.accounts.validate()?;
        let p = &mut ctx.accounts.player;
        p.x = p.x.checked_add(i32::from(dx)).ok_or(GameError::OffTheMap)?;
        p.y = p.y.checked_add(i32::from(dy)).ok_or(GameError::OffTheMap)?;
        Ok(())
    }

    /// Hits another player.
    pub fn attack(ctx: Context<Attack>, damage: u16) -> Result<()> {
        let t = &mut ctx.accounts.target;
        t.hp = t.hp.saturating_sub(damage);
        Ok(())
    }

    /// Buys an item for `price` lamports paid by the authority to the treasury.
    pub fn buy_item(ctx: Context<BuyItem>, _item: u16, price: u64) -> Result<()> {
        let a = &ctx.accounts;
        system_program::transfer(
            CpiContext::new(
                a.system_program.key(),
                system_program::Transfer {
                    from: a.authority.to_account_info(),
                    to: a.treasury.to_account_info(),
                },
            ),
            price,
        )?;
        ctx.accounts.player.items = ctx.accounts.player.items.saturating_add(1);
        Ok(())
    }

    /// Buys an item for `price` base units of a token, from the authority's token account to
    /// the treasury's.
    pub fn buy_item_token(ctx: Context<BuyItemToken>, _item: u16, price: u64) -> Result<()> {
        let a = &ctx.accounts;
        token_interface::transfer_checked(
            CpiContext::new(
                a.token_program.key(),
                TransferChecked {
                    from: a.from.to_account_info(),
                    mint: a.mint.to_account_info(),
                    to: a.treasury_tokens.to_account_info(),
                    authority: a.authority.to_account_info(),
                },
            ),
            price,
            a.mint.decimals,
        )?;
        ctx.accounts.player.items = ctx.accounts.player.items.saturating_add(1);
        Ok(())
    }
}

/// A player.
#[account]
#[derive(InitSpace)]
pub struct Player {
    /// Who may act for the player (the owner's vault, with session keys).
    pub authority: Pubkey,
    /// Position.
    pub x: i32,
    /// Position.
    pub y: i32,
    /// Hit points.
    pub hp: u16,
    /// Items bought.
    pub items: u32,
    /// PDA bump.
    pub bump: u8,
}

/// Game errors.
#[error_code]
pub enum GameError {
    /// Coordinates overflow.
    #[msg("Off the map")]
    OffTheMap,
}

/// Accounts of `create_player`.
#[derive(Accounts)]
pub struct CreatePlayer<'info> {
    /// The player's authority; pays the rent.
    #[account(mut)]
    pub authority: Signer<'info>,
    /// The new player.
    #[account(init, payer = authority, space = 8 + Player::INIT_SPACE, seeds = [PLAYER_SEED, authority.key().as_ref()], bump)]
    pub player: Account<'info, Player>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// Accounts of `create_player_funded`.
#[derive(Accounts)]
pub struct CreatePlayerFunded<'info> {
    /// The player's authority: `owner`'s session-keys vault (signs through `execute`; pays
    /// nothing).
    #[account(
        seeds = [session_keys::constants::VAULT_SEED, owner.key().as_ref()],
        bump,
        seeds::program = session_keys::ID
    )]
    pub authority: Signer<'info>,
    /// CHECK: the vault's owner; only its address is used, to derive the vault.
    pub owner: UncheckedAccount<'info>,
    /// CHECK: the new player, created here (the seeds bind it to the authority; `create_account`
    /// fails if it exists).
    #[account(mut, seeds = [PLAYER_SEED, authority.key().as_ref()], bump)]
    pub player: UncheckedAccount<'info>,
    /// CHECK: the game's treasury PDA (a system account the game funds); pays the rent.
    #[account(mut, seeds = [TREASURY_SEED], bump)]
    pub treasury: UncheckedAccount<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// Accounts of `move_player`.
#[derive(Accounts)]
pub struct Act<'info> {
    /// The player's authority.
    pub authority: Signer<'info>,
    /// The player.
    #[account(mut, has_one = authority, seeds = [PLAYER_SEED, authority.key().as_ref()], bump = player.bump)]
    pub player: Account<'info, Player>,
}

/// Accounts of `move_as_owner`.
#[derive(Accounts)]
pub struct MoveAsOwner<'info> {
    /// The owner, or a session key of the owner with its session and wallet accounts.
    pub auth: SessionAuth<'info>,
    /// The owner's player.
    #[account(mut, seeds = [PLAYER_SEED, player.authority.as_ref()], bump = player.bump)]
    pub player: Account<'info, Player>,
}

impl MoveAsOwner<'_> {
    /// "The owner signs, or a valid session key of the owner signs": one line.
    fn validate(&self) -> Result<()> {
        self.auth.authorize(
            &self.player.authority,
            &crate::ID,
            instruction::MoveAsOwner::DISCRIMINATOR,
        )
    }
}

/// Accounts of `attack`.
#[derive(Accounts)]
pub struct Attack<'info> {
    /// The attacker's authority.
    pub authority: Signer<'info>,
    /// The attacker.
    #[account(has_one = authority, seeds = [PLAYER_SEED, authority.key().as_ref()], bump = player.bump)]
    pub player: Account<'info, Player>,
    /// The victim.
    #[account(mut)]
    pub target: Account<'info, Player>,
}

/// Accounts of `buy_item`.
#[derive(Accounts)]
pub struct BuyItem<'info> {
    /// The buyer's authority; pays.
    #[account(mut)]
    pub authority: Signer<'info>,
    /// The buyer.
    #[account(mut, has_one = authority, seeds = [PLAYER_SEED, authority.key().as_ref()], bump = player.bump)]
    pub player: Account<'info, Player>,
    /// CHECK: the game's treasury PDA.
    #[account(mut, seeds = [TREASURY_SEED], bump)]
    pub treasury: UncheckedAccount<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// Accounts of `buy_item_token`.
#[derive(Accounts)]
pub struct BuyItemToken<'info> {
    /// The buyer's authority.
    pub authority: Signer<'info>,
    /// The buyer.
    #[account(mut, has_one = authority, seeds = [PLAYER_SEED, authority.key().as_ref()], bump = player.bump)]
    pub player: Account<'info, Player>,
    /// Token account paying (owned by, or delegated to, the authority).
    #[account(mut)]
    pub from: InterfaceAccount<'info, TokenAccount>,
    /// Mint.
    pub mint: InterfaceAccount<'info, Mint>,
    /// CHECK: the game's treasury PDA.
    #[account(seeds = [TREASURY_SEED], bump)]
    pub treasury: UncheckedAccount<'info>,
    /// The treasury's token account.
    #[account(mut, token::authority = treasury, token::mint = mint)]
    pub treasury_tokens: InterfaceAccount<'info, TokenAccount>,
    /// Token program.
    pub token_program: Interface<'info, TokenInterface>,
}
