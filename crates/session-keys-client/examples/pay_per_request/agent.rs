//! The agents of the pay-per-request example: each asks for a quote, previews the payment,
//! pays through its session with the quote's reference, and presents the payment.
use super::{unhex, Error};
use anchor_spl::token::spl_token;
use serde_json::Value;
use session_keys_client::{
    ix::{self, TokenTransfer},
    rpc::{SessionClient, Verdict},
    session_keys::instructions::Preview,
    SessionError,
};
use solana_sdk::{
    instruction::Instruction,
    pubkey::Pubkey,
    signature::{Keypair, Signature},
    signer::Signer,
};
use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    time::Duration,
};

/// `GET path` on `addr` with `headers`; the status and the JSON body.
pub fn http_get(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, String)],
) -> Result<(u16, Value), Error> {
    let http = |e: std::io::Error| Error::Http(e.to_string());
    let mut stream = TcpStream::connect(addr).map_err(http)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(http)?;
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).map_err(http)?;
    let mut response = String::new();
    stream.read_to_string(&mut response).map_err(http)?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| Error::Http(format!("no header end in {response:?}")))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::Http(format!("no status in {head:?}")))?;
    let body = serde_json::from_str(body).map_err(|e| Error::Http(format!("{e}: {body:?}")))?;
    Ok((status, body))
}

/// A price the service quoted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quote {
    /// Base units to pay.
    pub amount: u64,
    /// The token's decimals.
    pub decimals: u8,
    /// The token.
    pub mint: Pubkey,
    /// Where to pay.
    pub pay_to: Pubkey,
    /// The reference the payment must carry (16 bytes).
    pub reference: Vec<u8>,
}

/// What one purchase came to.
#[derive(Debug)]
pub enum Bought {
    /// Paid and served: the signature of the payment and the service's answer.
    Served(Signature, Value),
    /// `preview` said the payment would be refused with this error: nothing was sent.
    Stopped(SessionError),
}

/// An agent: a session key of `owner`, paying from the owner's token account `from`.
pub struct Agent {
    /// Its session key (it signs and pays the fees alone).
    pub key: Keypair,
    /// The owner whose session it acts under.
    pub owner: Pubkey,
    /// The owner's token account the vault is delegate on.
    pub from: Pubkey,
}

impl Agent {
    fn who(&self) -> Vec<(&'static str, String)> {
        vec![
            ("X-Owner", self.owner.to_string()),
            ("X-Session-Key", self.key.pubkey().to_string()),
        ]
    }

    /// Asks for the call without paying: the service's 402 quote.
    pub fn quote(&self, service: SocketAddr) -> Result<Quote, Error> {
        let (status, body) = http_get(service, "/forecast", &self.who())?;
        let bad = || Error::Http(format!("expected a 402 quote, got {status} {body}"));
        if status != 402 {
            return Err(bad());
        }
        let key = |name: &str| body[name].as_str().and_then(|s| s.parse::<Pubkey>().ok());
        Ok(Quote {
            amount: body["amount"].as_u64().ok_or_else(bad)?,
            decimals: body["decimals"]
                .as_u64()
                .and_then(|d| u8::try_from(d).ok())
                .ok_or_else(bad)?,
            mint: key("mint").ok_or_else(bad)?,
            pay_to: key("payTo").ok_or_else(bad)?,
            reference: body["reference"]
                .as_str()
                .and_then(unhex)
                .filter(|r| r.len() == 16)
                .ok_or_else(bad)?,
        })
    }

    fn payment(&self, quote: &Quote) -> (TokenTransfer, Instruction) {
        let t = TokenTransfer {
            from: self.from,
            mint: quote.mint,
            to: quote.pay_to,
            token_program: spl_token::ID,
        };
        let i = ix::transfer_token_ref(
            &self.key.pubkey(),
            &self.owner,
            t,
            quote.amount,
            quote.decimals,
            Some(&quote.reference),
        );
        (t, i)
    }

    /// Would paying `quote` pass? The program's own answer, through `simulateTransaction`.
    pub async fn preview(
        &self,
        client: &SessionClient,
        quote: &Quote,
    ) -> Result<(Verdict, Preview), Error> {
        let (t, _) = self.payment(quote);
        let i = ix::preview_transfer_token(
            &self.owner,
            &self.key.pubkey(),
            t,
            quote.amount,
            Some(&quote.reference),
        );
        let p = client.preview(i, &self.key.pubkey()).await?;
        Ok((Verdict::of(p.result), p))
    }

    /// Pays `quote` through the session, with its reference, signed by the session key alone.
    pub async fn pay(&self, client: &SessionClient, quote: &Quote) -> Result<Signature, Error> {
        let (_, i) = self.payment(quote);
        Ok(client.send(&[i], &[&self.key]).await?)
    }

    /// Presents the payment `signature`: the status and the service's answer.
    pub fn redeem(
        &self,
        service: SocketAddr,
        signature: &Signature,
    ) -> Result<(u16, Value), Error> {
        let mut headers = self.who();
        headers.push(("X-Payment", signature.to_string()));
        http_get(service, "/forecast", &headers)
    }

    /// One purchase: quote, preview, pay, redeem. Stops without sending when the preview says
    /// the payment would be refused.
    pub async fn buy(&self, client: &SessionClient, service: SocketAddr) -> Result<Bought, Error> {
        let quote = self.quote(service)?;
        match self.preview(client, &quote).await?.0 {
            Verdict::Passes => {}
            Verdict::Refused(e) => return Ok(Bought::Stopped(e)),
            Verdict::Failed(code) => {
                return Err(Error::Http(format!("the payment would fail with {code}")))
            }
        }
        let signature = self.pay(client, &quote).await?;
        match self.redeem(service, &signature)? {
            (200, body) => Ok(Bought::Served(signature, body)),
            (status, body) => Err(Error::Http(format!("paid, then {status} {body}"))),
        }
    }
}
