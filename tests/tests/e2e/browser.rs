//! A real browser: headless Chromium loads the demo page from another site
//! (`http://localhost:<port>`) than the gateway (`http://127.0.0.1:<port>`) and completes
//! the cookie flow, the API-key flow and the security-token flow with credentialed
//! cross-site `fetch`; the same page from a disallowed origin fails.

use std::sync::Arc;

use gatehouse_e2e::{self as common, Stack};
use gatehouse_local::demo::DemoApp;

async fn demo(
    api: &str,
    issuer_key: &str,
    dev_key: &str,
) -> (String, tokio::task::JoinHandle<std::io::Result<()>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = Arc::new(DemoApp::new(
        api.to_owned(),
        issuer_key.to_owned(),
        dev_key.to_owned(),
    ));
    (
        format!("http://localhost:{port}"),
        tokio::spawn(app.serve(listener)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_modes_work_in_chromium_from_an_allowed_origin_only() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "Chromium not found at {chromium}: `make test` installs it (apt chromium)"
    );
    // The page's port must be known before the gateway (its ALLOWED_ORIGINS).
    let page_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let page_port = page_listener.local_addr().unwrap().port();
    let allowed_origin = format!("http://localhost:{page_port}");
    let s = Stack::builder()
        .env(&[
            ("ALLOWED_ORIGINS", &allowed_origin),
            ("USER_UI_URL", &allowed_origin),
            ("ISSUER", "{gateway}"),
        ])
        .start()
        .await;
    let api = s.url.clone();
    let issuer_key = common::api_key(&s.store, None, None).await;
    let dev_key = common::api_key(&s.store, Some(&["client"]), None).await;
    let app = Arc::new(DemoApp::new(
        api.clone(),
        issuer_key.clone(),
        dev_key.clone(),
    ));
    tokio::spawn(app.serve(page_listener));
    let (disallowed, _h) = demo(&api, &issuer_key, &dev_key).await;

    let script = format!("{}/browser/widget.mjs", env!("CARGO_MANIFEST_DIR"));
    let args = vec![script, allowed_origin.clone(), disallowed.clone()];
    let out =
        tokio::task::spawn_blocking(move || std::process::Command::new("node").args(args).output())
            .await
            .unwrap()
            .unwrap();
    assert!(
        out.status.success(),
        "browser driver failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("driver prints JSON");
    eprintln!("Chromium version: {}", r["version"]);
    println!("Chromium version: {}", r["version"]);
    assert!(r["version"].as_str().is_some_and(|v| !v.is_empty()));
    for mode in ["cookie", "apikey", "token"] {
        assert_eq!(
            r["allowed"][mode]["ok"], true,
            "{mode} from {allowed_origin}: {}",
            r["allowed"][mode]
        );
        assert_eq!(
            r["disallowed"][mode]["ok"], false,
            "{mode} from {disallowed}: {}",
            r["disallowed"][mode]
        );
    }
    assert_eq!(
        r["allowed"]["cookie"]["whoami"]["body"]["principal_type"],
        "widget_session"
    );
    assert_eq!(
        r["allowed"]["token"]["whoami"]["body"]["principal_type"],
        "widget_token"
    );
    assert_eq!(
        r["allowed"]["apikey"]["whoami"]["body"]["scopes"], "client",
        "mode 2 uses a client-only key"
    );
}
