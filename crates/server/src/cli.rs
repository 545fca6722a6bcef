//! What each subcommand does; `main.rs` only parses and calls [`run`].

use tokenbatch_store::Store;

use crate::config::{CacheArgs, Cli, Command, DemoArgs, ServeArgs, UserAddArgs, UserCommand};
use crate::seed::{self, DemoSeed};
use crate::serve::{self, ServeOptions};
use crate::token_cache::TokenCache;

pub async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.command {
        Command::Serve(args) => serve_command(args).await,
        Command::User {
            command: UserCommand::Add(args),
        } => user_add(args).await,
        Command::Demo(args) => demo(args).await,
    }
}

async fn serve_command(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let location = args.database.location()?;
    let options = ServeOptions {
        cors: args.cors.policy()?,
        limits: args.limits.limits(),
        database: args.database.limits(),
        plan_ttl: Some(args.plan_ttl()),
        options_ttl: Some(args.options_ttl()),
        history_days: Some(args.history_days),
        ..serve_options(&args.cache)?
    };
    let server = serve::start_with(args.listen, &location, options).await?;
    server.run_until_signal().await?;
    Ok(())
}

fn serve_options(cache: &CacheArgs) -> Result<ServeOptions, Box<dyn std::error::Error>> {
    let token_cache = match cache.redis_url.as_deref().filter(|url| !url.is_empty()) {
        Some(url) => Some(TokenCache::new(url, cache.secret())?),
        None => None,
    };
    Ok(ServeOptions {
        token_cache,
        ..ServeOptions::default()
    })
}

async fn user_add(args: UserAddArgs) -> Result<(), Box<dyn std::error::Error>> {
    let store = Store::open_with(&args.database.location()?, args.database.limits()).await?;
    let user = seed::add_user(&store, &args.username, &args.group, args.role.value()).await?;
    store.close().await;
    println!("user id:      {}", user.id);
    println!("access token: {}", user.access_token);
    Ok(())
}

async fn demo(args: DemoArgs) -> Result<(), Box<dyn std::error::Error>> {
    let location = args.database.location()?;
    let store = Store::open_with(&location, args.database.limits()).await?;
    let user = match seed::seed_demo(&store).await? {
        DemoSeed::Created(user) => {
            println!(
                "created demo user with {} tokens (ids {}-{})",
                seed::DEMO_TOKEN_COUNT,
                seed::DEMO_FIRST_ID,
                seed::DEMO_FIRST_ID + seed::DEMO_TOKEN_COUNT - 1
            );
            user
        }
        DemoSeed::AlreadyThere(user) => {
            println!("demo user already present");
            user
        }
    };
    store.close().await;
    let page = seed::page_url(args.listen);
    println!("user id:      {}", user.id);
    println!("access token: {}", user.access_token);
    println!();
    let serving = if args.serve {
        "once it serves"
    } else {
        "with `tokenbatch serve`"
    };
    println!("the batch-edit page ({serving}): open {page} and sign in with the two values above");
    println!("the documented example:");
    println!(
        "  curl -X PUT {page}api/token/batch -H 'Authorization: Bearer {}' \\\n       -H 'New-Api-User: {}' -H 'Content-Type: application/json' \\\n       --data-binary @{}",
        user.access_token,
        user.id,
        seed::example_body_path()
    );
    if args.serve {
        let options = ServeOptions {
            database: args.database.limits(),
            options_ttl: Some(crate::group_options::DEFAULT_OPTIONS_TTL),
            ..serve_options(&args.cache)?
        };
        let server = serve::start_with(args.listen, &location, options).await?;
        server.run_until_signal().await?;
    }
    Ok(())
}
