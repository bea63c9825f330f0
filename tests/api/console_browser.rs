//! The web console in a real browser (headless Chromium over WebDriver, see `browser`): what
//! a newcomer does with it, what a read-only credential cannot do, how a session ends, and that
//! no page has a console error or a CSP violation. SQLite only: the console's behaviour does
//! not depend on the database, and each browser costs a core.

use serde_json::{Value, json};

use crate::browser::{Browser, browser};
use crate::helpers::{ADMIN_TOKEN, Backend, TestApp, str_of};

async fn sign_in(browser: &Browser, app: &TestApp, token: &str) {
    browser.goto(&app.url("/console")).await;
    browser.fill("#sign-in input[name=token]", token).await;
    browser.click("#sign-in [data-test=submit]").await;
    browser.find("[data-test=sign-out]").await;
}

#[tokio::test]
async fn the_harness_sees_console_errors_and_csp_violations() {
    let Some(browser) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;
    browser.goto(&app.url("/console")).await;
    browser.find("#sign-in").await;
    browser.assert_no_problems("the sign-in page").await;

    browser.execute("console.error('something broke')", vec![]).await;
    let problems = browser.problems().await;
    assert!(problems.iter().any(|p| p.contains("something broke")), "{problems:?}");

    // An inline script, which the console's policy forbids: Chromium refuses and reports it.
    browser
        .execute(
            "const s = document.createElement('script'); s.textContent = 'window.ran = true'; document.body.append(s);",
            vec![],
        )
        .await;
    assert_eq!(
        browser.execute("return window.ran === true", vec![]).await,
        json!(false),
        "the inline script did not run"
    );
    let problems = browser.problems().await;
    assert!(problems.iter().any(|p| p.contains("Content Security Policy")), "{problems:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_token_is_refused_on_the_sign_in_page_and_the_right_one_signs_in() {
    let Some(browser) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;
    browser.goto(&app.url("/console")).await;
    browser.screenshot("sign-in").await;
    browser.fill("#sign-in input[name=token]", "not-the-admin-token").await;
    browser.click("#sign-in [data-test=submit]").await;
    browser.wait_for_text("[data-test=form-error]", "").await;
    assert!(!browser.exists("[data-test=sign-out]").await);
    browser.problems().await; // the 401 is expected

    sign_in(&browser, &app, ADMIN_TOKEN).await;
    assert_eq!(browser.text("[data-test=credential-name]").await, "bootstrap");
    assert_eq!(browser.text("[data-test=role]").await, "admin");
    browser.assert_no_problems("after signing in").await;
    let _ = (Value::Null, str_of);
    app.stop().await;
}
