//! `tokenbatch user add` and `tokenbatch demo`: creating users and demo tokens, and where the demo points a
//! newcomer (the example body, the page).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

use tokenbatch_rules::apply::{
    TokenState, STATUS_DISABLED, STATUS_ENABLED, STATUS_EXHAUSTED, STATUS_EXPIRED,
};
use tokenbatch_rules::QUOTA_PER_USD;
use tokenbatch_store::{NewToken, NewUser, Store, StoreError};

use crate::app::now_unix;

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A random string over [A-Za-z0-9], from the operating system's generator.
pub fn random_alphanumeric(length: usize) -> String {
    let mut bytes = vec![0u8; length];
    getrandom::fill(&mut bytes).expect("the operating system's random generator is unavailable");
    // 256 = 4 * 62 + 8: rejecting the top 8 values keeps every character equally likely.
    let mut out = String::with_capacity(length);
    let mut pool = bytes;
    while out.len() < length {
        for byte in pool.iter().copied().filter(|byte| *byte < 248) {
            if out.len() == length {
                break;
            }
            out.push(ALPHANUMERIC[(byte % 62) as usize] as char);
        }
        pool = vec![0u8; length];
        getrandom::fill(&mut pool).expect("the operating system's random generator is unavailable");
    }
    out
}

/// A new user with a fresh 32-character system access token (new-api's format).
pub fn new_user(username: &str, group: &str, role: i64) -> NewUser {
    NewUser {
        username: username.to_owned(),
        password_hash: "!tokenbatch-no-password".to_owned(),
        role,
        status: 1,
        access_token: random_alphanumeric(32),
        group: group.to_owned(),
        aff_code: random_alphanumeric(4),
    }
}

pub struct CreatedUser {
    pub id: i64,
    pub access_token: String,
}

pub async fn add_user(
    store: &Store,
    username: &str,
    group: &str,
    role: i64,
) -> Result<CreatedUser, StoreError> {
    let user = new_user(username, group, role);
    let id = store.insert_user(&user).await?;
    Ok(CreatedUser {
        id,
        access_token: user.access_token,
    })
}

pub const DEMO_USERNAME: &str = "demo";
pub const DEMO_FIRST_ID: i64 = 840;
pub const DEMO_TOKEN_COUNT: i64 = 50;

pub enum DemoSeed {
    Created(CreatedUser),
    AlreadyThere(CreatedUser),
}

/// Creates the demo user and its tokens, or finds them from an earlier run.
pub async fn seed_demo(store: &Store) -> Result<DemoSeed, StoreError> {
    if let Some(existing) = store.find_user_by_username(DEMO_USERNAME).await? {
        return Ok(DemoSeed::AlreadyThere(CreatedUser {
            id: existing.id,
            access_token: existing.access_token.unwrap_or_default(),
        }));
    }
    let user = add_user(store, DEMO_USERNAME, "default", 1).await?;
    store
        .insert_tokens(&demo_tokens(user.id, now_unix()))
        .await?;
    Ok(DemoSeed::Created(user))
}

/// Tokens with a spread of statuses, groups, quotas, expiries, model limits and IP lists.
pub fn demo_tokens(user_id: i64, now: i64) -> Vec<NewToken> {
    const TEAMS: &[&str] = &[
        "web",
        "mobile",
        "batch-jobs",
        "research",
        "support",
        "partner",
    ];
    const GROUPS: &[&str] = &["default", "vip", "default,vip", ""];
    const MODELS: &[&str] = &[
        "",
        "gpt-4o,gpt-4o-2024-11-20",
        "gpt-4o-mini",
        "claude-3-5-sonnet,gpt-4o",
    ];
    const IPS: &[&str] = &[
        "",
        "192.168.1.1",
        "10.0.0.0/8\n2001:db8::/32",
        "203.0.113.7",
    ];
    (0..DEMO_TOKEN_COUNT)
        .map(|n| {
            let index = n as usize;
            let status = match n % 10 {
                7 => STATUS_DISABLED,
                8 => STATUS_EXPIRED,
                9 => STATUS_EXHAUSTED,
                _ => STATUS_ENABLED,
            };
            let expired_time = match status {
                STATUS_EXPIRED => now - 86_400 * (1 + n),
                _ if n % 3 == 0 => -1,
                _ => now + 86_400 * (30 + n),
            };
            NewToken {
                id: Some(DEMO_FIRST_ID + n),
                user_id,
                key: random_alphanumeric(48),
                name: format!("{}-{:02}", TEAMS[index % TEAMS.len()], n + 1),
                created_time: now - 86_400 * (DEMO_TOKEN_COUNT - n),
                used_quota: (n * 37_000) % 900_000,
                state: TokenState {
                    status,
                    group: GROUPS[index % GROUPS.len()].to_owned(),
                    expired_time,
                    remain_quota: if status == STATUS_EXHAUSTED {
                        0
                    } else {
                        (n % 7) * QUOTA_PER_USD
                    },
                    unlimited_quota: n % 5 == 0,
                    model_limits: MODELS[index % MODELS.len()].to_owned(),
                    model_limits_enabled: !MODELS[index % MODELS.len()].is_empty(),
                    allow_ips: IPS[index % IPS.len()].to_owned(),
                    mj_image_mode: if n % 4 == 0 {
                        "proxy".into()
                    } else {
                        String::new()
                    },
                    // Fields the demo leaves at new-api's defaults.
                    ..TokenState::default()
                },
            }
        })
        .collect()
}

/// The documented example body, relative to the repository's root (the README's commands run there).
pub const EXAMPLE_BODY_PATH: &str = "tests/fixtures/example-request.jsonc";

/// Where the demo's `curl --data-binary @…` finds the example body: the repository-relative path when the
/// current directory is the repository's root, else the copy in the repository this binary was built
/// from, else the relative path anyway (to be run from a checkout's root).
pub fn example_body_path() -> String {
    if Path::new(EXAMPLE_BODY_PATH).is_file() {
        return EXAMPLE_BODY_PATH.to_owned();
    }
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    match built_from.join(EXAMPLE_BODY_PATH).canonicalize() {
        Ok(path) if path.is_file() => path.display().to_string(),
        _ => EXAMPLE_BODY_PATH.to_owned(),
    }
}

/// The batch-edit page of a server listening on `addr`, as a browser on the same machine opens it: an
/// all-interfaces address (`0.0.0.0`, `::`) becomes the loopback address, the port stays.
pub fn page_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/", SocketAddr::new(ip, addr.port()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_url_is_one_a_local_browser_can_open() {
        let at = |text: &str| page_url(text.parse().unwrap());
        assert_eq!(at("0.0.0.0:3000"), "http://127.0.0.1:3000/");
        assert_eq!(at("[::]:8080"), "http://[::1]:8080/");
        assert_eq!(at("127.0.0.1:41234"), "http://127.0.0.1:41234/");
        assert_eq!(at("192.0.2.7:3000"), "http://192.0.2.7:3000/");
    }

    #[test]
    fn random_strings_have_the_length_and_alphabet_asked_for() {
        let token = random_alphanumeric(48);
        assert_eq!(token.len(), 48);
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(random_alphanumeric(32), random_alphanumeric(32));
    }

    #[test]
    fn demo_covers_the_documented_example_ids_and_every_status() {
        let tokens = demo_tokens(1, 1_800_000_000);
        let ids: Vec<i64> = tokens.iter().filter_map(|t| t.id).collect();
        assert!(ids.contains(&873) && ids.contains(&869));
        for status in [
            STATUS_ENABLED,
            STATUS_DISABLED,
            STATUS_EXPIRED,
            STATUS_EXHAUSTED,
        ] {
            assert!(
                tokens.iter().any(|t| t.state.status == status),
                "status {status}"
            );
        }
    }
}
