//! Where to connect and who signs: `--url` and `--keypair`, defaulting to the Solana CLI's
//! config (`~/.config/solana/cli/config.yml`) and keypair (`~/.config/solana/id.json`).
use solana_sdk::signature::Keypair;
use std::path::{Path, PathBuf};

/// URL used when neither `--url` nor the Solana CLI config gives one: a local validator
/// (`solana-test-validator` or this workspace's `localnet`).
pub const DEFAULT_URL: &str = "http://127.0.0.1:8899";

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

/// The Solana CLI config file.
pub fn solana_config_path() -> Option<PathBuf> {
    home().map(|h| h.join(".config/solana/cli/config.yml"))
}

/// `key: value` of a flat YAML file, unquoted (the Solana CLI config is flat).
fn yaml_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k.trim() == key).then(|| v.trim().trim_matches(|c| c == '"' || c == '\'').to_owned())
    })
}

fn config_value(key: &str) -> Option<String> {
    let text = std::fs::read_to_string(solana_config_path()?).ok()?;
    yaml_value(&text, key).filter(|v| !v.is_empty())
}

/// Resolves `--url`: monikers as the Solana CLI reads them, else the config, else
/// [`DEFAULT_URL`].
pub fn url(arg: Option<&str>) -> String {
    let chosen = arg
        .map(str::to_owned)
        .or_else(|| config_value("json_rpc_url"));
    match chosen.as_deref() {
        None => DEFAULT_URL.to_owned(),
        Some("l" | "localhost") => DEFAULT_URL.to_owned(),
        Some("d" | "devnet") => "https://api.devnet.solana.com".to_owned(),
        Some("t" | "testnet") => "https://api.testnet.solana.com".to_owned(),
        Some("m" | "mainnet-beta") => "https://api.mainnet-beta.solana.com".to_owned(),
        Some(url) => url.to_owned(),
    }
}

/// Resolves `--keypair`: the argument, else the config's `keypair_path`, else
/// `~/.config/solana/id.json`.
pub fn keypair_path(arg: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = arg {
        return Ok(p.to_owned());
    }
    if let Some(p) = config_value("keypair_path") {
        return Ok(expand_home(&p));
    }
    home()
        .map(|h| h.join(".config/solana/id.json"))
        .ok_or_else(|| "no --keypair and no HOME to find ~/.config/solana/id.json".to_owned())
}

fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), home()) {
        (Some(rest), Some(h)) => h.join(rest),
        _ => PathBuf::from(p),
    }
}

/// Reads a keypair file in the Solana CLI's format (a JSON array of 64 bytes). A file that is
/// not one is named with the format expected, and nothing of its content: neither the
/// parser's error (it quotes what it read) nor the key library's is printed, since the
/// content may be a secret key in another format.
pub fn read_keypair(path: &Path) -> Result<Keypair, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read keypair {}: {e}", path.display()))?;
    let refused = || {
        format!(
            "{} is not a Solana keypair file: expected a JSON array of 64 numbers from 0 to 255, \
             as solana-keygen writes (the content is not shown: it may be a secret key)",
            path.display()
        )
    };
    let bytes: Vec<u8> = serde_json::from_str(&text).map_err(|_| refused())?;
    Keypair::try_from(&bytes[..]).map_err(|_| {
        format!(
            "{} holds {} numbers that are not a keypair: expected 64, the 32-byte secret then \
             its public key",
            path.display(),
            bytes.len()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_flat_solana_config() {
        let text = "---\njson_rpc_url: \"http://x:1\"\nwebsocket_url: ''\nkeypair_path: /k/id.json\ncommitment: confirmed\n";
        assert_eq!(
            yaml_value(text, "json_rpc_url").as_deref(),
            Some("http://x:1")
        );
        assert_eq!(
            yaml_value(text, "keypair_path").as_deref(),
            Some("/k/id.json")
        );
        assert_eq!(yaml_value(text, "websocket_url").as_deref(), Some(""));
        assert_eq!(yaml_value(text, "missing"), None);
        assert_eq!(url(Some("devnet")), "https://api.devnet.solana.com");
        assert_eq!(url(Some("http://h:2")), "http://h:2");
    }
}
