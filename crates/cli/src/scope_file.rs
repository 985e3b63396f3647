//! The scope of a new session, from a TOML or JSON file, with amounts in human units:
//!
//! ```toml
//! expires_in = "2h"          # or expires_at = 1800003600 (unix seconds); at most 30 days
//! label = "Dungeon Quest"
//! max_uses = 100             # optional
//! rate_limit = { uses = 10, seconds = 60 }   # optional: at most 10 actions a minute
//! reference_history = 16     # optional: refuse the last 16 payment references again (0 to 16)
//! top_up_sol = "0.01"        # SOL sent to the session key for fees (optional)
//! destinations = ["<pubkey>"]            # optional allow-list
//! programs = ["<program id>"]            # optional: every instruction of these programs
//!
//! [sol]                      # lamports out of the vault, in SOL
//! lifetime = "1.5"
//! per_instruction = "0.5"    # optional
//! window = { seconds = 3600, cap = "1" }   # optional
//!
//! [[mints]]                  # tokens, in the mint's units (its decimals are read on chain)
//! mint = "<mint>"
//! lifetime = 100
//! window = { seconds = 60, cap = "20.5" }
//!
//! [delegate]                 # optional: approve the vault on the owner's token account
//! mint = "<mint>"
//! amount = 50
//! token_account = "<pubkey>" # optional, default: the owner's associated token account
//! ```
//!
//! The same keys in JSON (`{"expires_in": "2h", "sol": {"lifetime": "1.5"}}`) work too.
//! Amounts are exact: integers as written, numbers with a fraction (`25.5`, `"25.5"`) from
//! their text, and more decimals than the asset has is an error (see [`crate::amount`]).
use crate::amount::{self, Human};
use anchor_lang::prelude::Pubkey;
use serde::Deserialize;
use session_keys::policy::CapsArgs;
use session_keys_client::scope::{caps, program, CapsExt};
use std::{collections::HashMap, path::Path};

/// Decimals of SOL.
pub const SOL_DECIMALS: u8 = 9;

/// A session's scope as written by an operator.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeFile {
    /// Lifetime from now: `"90s"`, `"30m"`, `"2h"`, `"7d"`.
    pub expires_in: Option<String>,
    /// Absolute expiry (unix seconds).
    pub expires_at: Option<i64>,
    /// Label for wallet UIs.
    #[serde(default)]
    pub label: String,
    /// Most uses.
    pub max_uses: Option<u32>,
    /// Rate limit: most actions per recurring window.
    pub rate_limit: Option<RateLimitFile>,
    /// How many payment references the session remembers and refuses again.
    pub reference_history: Option<u8>,
    /// SOL sent to the session key for fees.
    pub top_up_sol: Option<Human>,
    /// Destination allow-list.
    #[serde(default)]
    pub destinations: Vec<String>,
    /// Programs `execute` may call (every instruction).
    #[serde(default)]
    pub programs: Vec<String>,
    /// SOL caps.
    pub sol: Option<CapsFile>,
    /// Token caps.
    #[serde(default)]
    pub mints: Vec<MintCapsFile>,
    /// Delegate approval.
    pub delegate: Option<DelegateFile>,
}

/// Caps of one asset, in human units.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapsFile {
    /// Total over the session's life.
    pub lifetime: Human,
    /// Largest single instruction.
    pub per_instruction: Option<Human>,
    /// Recurring window.
    pub window: Option<WindowFile>,
}

/// A recurring window.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowFile {
    /// Length in seconds.
    pub seconds: u32,
    /// Cap per window.
    pub cap: Human,
}

/// A rate limit: at most `uses` actions per `seconds`.
#[derive(Debug, Deserialize, PartialEq, Eq, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct RateLimitFile {
    /// Most actions (transfers and `execute` batches) per window.
    pub uses: u32,
    /// Window length in seconds.
    pub seconds: u32,
}

impl RateLimitFile {
    /// Reads `USES/SECONDS` (`10/60`; the seconds may be written as a duration: `10/1m`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad =
            || format!("--rate-limit: expected USES/SECONDS such as 10/60 or 10/1m, got {text:?}");
        let (uses, seconds) = text.split_once('/').ok_or_else(bad)?;
        let uses = uses.trim().parse().map_err(|_| bad())?;
        let seconds = u32::try_from(duration(seconds).map_err(|_| bad())?).map_err(|_| bad())?;
        Ok(Self { uses, seconds })
    }
}

/// Caps of one mint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MintCapsFile {
    /// The mint.
    pub mint: String,
    /// Total over the session's life.
    pub lifetime: Human,
    /// Largest single instruction.
    pub per_instruction: Option<Human>,
    /// Recurring window.
    pub window: Option<WindowFile>,
}

/// A delegate approval at creation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelegateFile {
    /// Mint of the token account.
    pub mint: String,
    /// Amount approved.
    pub amount: Human,
    /// The owner's token account (default: its associated token account).
    pub token_account: Option<String>,
}

/// Parses a pubkey with the field it came from in the message.
pub fn pubkey(s: &str, what: &str) -> Result<Pubkey, String> {
    s.parse()
        .map_err(|_| format!("{what}: not a base58 public key: {s:?}"))
}

/// Parses `"90s"`, `"30m"`, `"2h"`, `"7d"` (or plain seconds) into seconds.
pub fn duration(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (number, unit) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&s[..i], c),
        _ => (s, 's'),
    };
    let n: i64 = number
        .trim()
        .parse()
        .map_err(|_| format!("not a duration: {s:?} (use e.g. 90s, 30m, 2h, 7d)"))?;
    let unit = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(format!("unknown duration unit in {s:?} (s, m, h or d)")),
    };
    n.checked_mul(unit).ok_or_else(|| format!("{s}: too long"))
}

impl ScopeFile {
    /// Reads a `.toml` or `.json` file (by extension; anything else is tried as TOML).
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read scope file {}: {e}", path.display()))?;
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        Self::parse(&text, json).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Reads a scope from JSON or TOML text. Numbers with a fraction are read from their
    /// text, never through an f64.
    pub fn parse(text: &str, json: bool) -> Result<Self, String> {
        if json {
            serde_json::from_str(&amount::json_fractions_as_text(text)).map_err(|e| e.to_string())
        } else {
            toml::from_str(&amount::toml_fractions_as_text(text)).map_err(|e| e.to_string())
        }
    }

    /// Mints whose decimals are needed.
    pub fn mints(&self) -> Result<Vec<Pubkey>, String> {
        let mut out: Vec<Pubkey> = self
            .mints
            .iter()
            .map(|m| pubkey(&m.mint, "mints.mint"))
            .collect::<Result<_, _>>()?;
        if let Some(d) = &self.delegate {
            out.push(pubkey(&d.mint, "delegate.mint")?);
        }
        Ok(out)
    }

    /// Unix expiry, given the cluster's `now`.
    pub fn expires_at(&self, now: i64) -> Result<i64, String> {
        match (&self.expires_in, self.expires_at) {
            (Some(d), None) => Ok(now.saturating_add(duration(d)?)),
            (None, Some(t)) => Ok(t),
            _ => Err("the scope needs exactly one of expires_in and expires_at".into()),
        }
    }

    /// The session's arguments (without the delegate, which [`Self::delegate`] resolves).
    pub fn scope(
        &self,
        now: i64,
        decimals: &HashMap<Pubkey, u8>,
    ) -> Result<session_keys_client::scope::Scope, String> {
        let mut scope =
            session_keys_client::scope::Scope::until(self.expires_at(now)?).label(&self.label);
        if let Some(uses) = self.max_uses {
            scope = scope.max_uses(uses);
        }
        if let Some(r) = self.rate_limit {
            scope = scope.rate_limit(r.uses, r.seconds);
        }
        if let Some(n) = self.reference_history {
            scope = scope.reference_history(n);
        }
        if let Some(top_up) = &self.top_up_sol {
            scope = scope.top_up(top_up.base_units(SOL_DECIMALS)?);
        }
        for d in &self.destinations {
            scope = scope.destination(pubkey(d, "destinations")?);
        }
        for p in &self.programs {
            scope = scope.program(program(pubkey(p, "programs")?));
        }
        if let Some(sol) = &self.sol {
            scope = scope.sol(to_caps(
                &sol.lifetime,
                sol.per_instruction.as_ref(),
                sol.window.as_ref(),
                SOL_DECIMALS,
            )?);
        }
        for m in &self.mints {
            let mint = pubkey(&m.mint, "mints.mint")?;
            let d = *decimals
                .get(&mint)
                .ok_or_else(|| format!("{mint} is not a mint"))?;
            scope = scope.mint(
                mint,
                to_caps(
                    &m.lifetime,
                    m.per_instruction.as_ref(),
                    m.window.as_ref(),
                    d,
                )?,
            );
        }
        Ok(scope)
    }
}

fn to_caps(
    lifetime: &Human,
    per_instruction: Option<&Human>,
    window: Option<&WindowFile>,
    decimals: u8,
) -> Result<CapsArgs, String> {
    let mut c = caps(lifetime.base_units(decimals)?);
    if let Some(p) = per_instruction {
        c = c.per_instruction(p.base_units(decimals)?);
    }
    if let Some(w) = window {
        c = c.window(w.seconds, w.cap.base_units(decimals)?);
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("90s"), Ok(90));
        assert_eq!(duration("30m"), Ok(1800));
        assert_eq!(duration("2h"), Ok(7200));
        assert_eq!(duration("7d"), Ok(604_800));
        assert_eq!(duration("45"), Ok(45));
        assert!(duration("2w").is_err());
        assert!(duration("h").is_err());
    }

    #[test]
    fn rate_limits() {
        let r = |uses, seconds| Ok(RateLimitFile { uses, seconds });
        assert_eq!(RateLimitFile::parse("10/60"), r(10, 60));
        assert_eq!(RateLimitFile::parse("3/1m"), r(3, 60));
        assert_eq!(RateLimitFile::parse(" 5 / 1d "), r(5, 86_400));
        for bad in [
            "10",
            "x/60",
            "10/",
            "10/-5",
            "10/2w",
            "-1/60",
            "1/99999999999",
        ] {
            assert!(
                RateLimitFile::parse(bad)
                    .unwrap_err()
                    .contains("USES/SECONDS"),
                "{bad}"
            );
        }
        let file = ScopeFile::parse(
            "expires_in = \"1h\"\nrate_limit = { uses = 2, seconds = 60 }\nreference_history = 4\n[sol]\nlifetime = 1\n",
            false,
        )
        .unwrap();
        let args = file.scope(0, &HashMap::new()).unwrap().build(0).unwrap();
        assert_eq!(
            (
                args.uses_window.map(|w| (w.uses, w.seconds)),
                args.reference_history
            ),
            (Some((2, 60)), 4)
        );
    }

    #[test]
    fn toml_and_json_give_the_same_caps() {
        let mint = Pubkey::new_unique();
        let toml_text = format!(
            "expires_in = \"1h\"\nlabel = \"x\"\n[sol]\nlifetime = \"1.5\"\nwindow = {{ seconds = 60, cap = 0.5 }}\n[[mints]]\nmint = \"{mint}\"\nlifetime = 25.25\n"
        );
        let json_text = format!(
            r#"{{"expires_in":"1h","label":"x","sol":{{"lifetime":"1.5","window":{{"seconds":60,"cap":0.5}}}},"mints":[{{"mint":"{mint}","lifetime":25.25}}]}}"#
        );
        let a = ScopeFile::parse(&toml_text, false).unwrap();
        let b = ScopeFile::parse(&json_text, true).unwrap();
        let decimals = HashMap::from([(mint, 6)]);
        let a = a.scope(1000, &decimals).unwrap().build(1000).unwrap();
        let b = b.scope(1000, &decimals).unwrap().build(1000).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.expires_at, 4600);
        let sol = a.sol.unwrap();
        assert_eq!(
            (sol.lifetime, sol.window.unwrap().cap),
            (1_500_000_000, 500_000_000)
        );
        assert_eq!(a.mints[0].caps.lifetime, 25_250_000);
        let unknown = ScopeFile::parse("expires_in = \"1h\"\nlifetme = 3\n", false);
        assert!(unknown.is_err(), "typos are refused");
    }
}
