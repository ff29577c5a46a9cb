//! The command line as a newcomer meets it: help, `user add` reading the password from stdin,
//! and clear messages with a non-zero exit on bad input.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step should stop the test loudly"
)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn loopdesk(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_loopdesk"))
        .args(args)
        .env_remove("LOOPDESK_DATABASE_URL")
        .env_remove("LOOPDESK_DATA_DIR")
        .env("LOOPDESK_LANG", "en")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run loopdesk");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn help_names_every_command_a_newcomer_needs() {
    let o = loopdesk(&["--help"], "");
    assert!(o.status.success());
    let help = text(&o);
    for cmd in ["serve", "migrate", "user", "demo", "jobs", "dispatch-bench"] {
        assert!(help.contains(cmd), "{cmd} missing from:\n{help}");
    }
    let serve = text(&loopdesk(&["serve", "--help"], ""));
    for flag in [
        "--bind",
        "--data-dir",
        "--database-url",
        "--admin-password",
        "LOOPDESK_BIND",
    ] {
        assert!(serve.contains(flag), "{flag} missing from:\n{serve}");
    }
}

#[test]
fn user_add_reads_the_password_from_stdin_and_refuses_bad_input_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let add = |name: &str, role: &str, password: &str| {
        loopdesk(
            &[
                "user",
                "add",
                "--data-dir",
                data,
                "--username",
                name,
                "--role",
                role,
            ],
            &format!("{password}\n"),
        )
    };
    let o = add("zhang.san", "agent", "correct horse battery");
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("created user zhang.san"));

    let o = add("zhang.san", "agent", "correct horse battery");
    assert!(!o.status.success());
    assert!(
        text(&o).contains("username is already taken"),
        "{}",
        text(&o)
    );
    // --lang wins over LOOPDESK_LANG; zh-CN is also the default when the locale names neither.
    let o = loopdesk(
        &[
            "--lang",
            "zh-CN",
            "user",
            "add",
            "--data-dir",
            data,
            "--username",
            "wang.wu",
            "--role",
            "agent",
        ],
        "correct horse battery\n",
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("已创建用户 wang.wu"), "{}", text(&o));
    let o = add("zhang.san", "agent", "correct horse battery");
    assert!(!o.status.success());
    assert!(
        text(&o).contains("username is already taken"),
        "{}",
        text(&o)
    );

    let o = add("li.si", "boss", "correct horse battery");
    assert!(!o.status.success());
    assert!(text(&o).contains("unknown role `boss`"), "{}", text(&o));

    let o = add("li.si", "agent", "short");
    assert!(!o.status.success());
    assert!(
        text(&o).contains("password: passwords are 8–256 characters long"),
        "{}",
        text(&o)
    );

    let o = loopdesk(&["migrate", "--database-url", "mysql://localhost/x"], "");
    assert!(!o.status.success());
    assert!(
        text(&o).contains("unsupported database URL"),
        "{}",
        text(&o)
    );
}

#[test]
fn search_reindex_rebuilds_the_index_with_progress() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let demo = loopdesk(&["demo", "--data-dir", data, "--tickets", "20"], "");
    assert!(demo.status.success(), "{}", text(&demo));
    let o = loopdesk(&["search", "reindex", "--data-dir", data], "");
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    // Not a terminal: a progress line every tenth, the last at 100 %.
    assert!(out.contains("rebuilding the search index: 0%"), "{out}");
    assert!(out.contains("rebuilding the search index: 100%"), "{out}");
    let documents: u64 = out
        .split("search index rebuilt: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {out}"));
    // 20 tickets, and the demo's customers and equipment.
    assert!(documents > 70, "{out}");
    assert!(out.contains("0 of objects that are gone removed"), "{out}");
}

#[test]
fn tenants_are_made_listed_suspended_and_resumed_and_an_install_backs_up_and_restores() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("a");
    let data = data.to_str().unwrap();
    let create = |slug: &str| {
        loopdesk(
            &[
                "tenant",
                "create",
                "--data-dir",
                data,
                "--slug",
                slug,
                "--name",
                "华东分公司",
            ],
            "correct horse battery\n",
        )
    };
    let o = create("east");
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("tenant east created, its admin admin"),
        "{}",
        text(&o)
    );
    let o = create("east");
    assert!(!o.status.success());
    assert!(text(&o).contains("slug is already taken"), "{}", text(&o));
    let o = create("East_1");
    assert!(!o.status.success());
    assert!(
        text(&o).contains("slug: only lower-case letters"),
        "{}",
        text(&o)
    );

    let o = loopdesk(
        &["tenant", "suspend", "--data-dir", data, "--slug", "east"],
        "",
    );
    assert!(o.status.success(), "{}", text(&o));
    let listed = text(&loopdesk(&["tenant", "list", "--data-dir", data], ""));
    let east = listed.lines().find(|l| l.starts_with("east ")).unwrap();
    assert!(
        east.contains("suspended") && east.contains("华东分公司"),
        "{listed}"
    );
    assert!(
        listed.lines().any(|l| l.starts_with("default ")),
        "{listed}"
    );
    let o = loopdesk(
        &["tenant", "resume", "--data-dir", data, "--slug", "east"],
        "",
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = loopdesk(
        &["tenant", "suspend", "--data-dir", data, "--slug", "west"],
        "",
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("west"), "{}", text(&o));

    // The install into one archive, and back into an empty directory.
    let archive = dir.path().join("backup.zip");
    let archive = archive.to_str().unwrap();
    let o = loopdesk(&["backup", "--data-dir", data, "--out", archive], "");
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("backup written to"), "{}", text(&o));
    let restored = dir.path().join("b");
    let restored = restored.to_str().unwrap();
    let o = loopdesk(&["restore", "--data-dir", restored, "--from", archive], "");
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("each checked"), "{}", text(&o));
    let listed = text(&loopdesk(&["tenant", "list", "--data-dir", restored], ""));
    assert!(listed.lines().any(|l| l.starts_with("east ")), "{listed}");
    let o = loopdesk(&["restore", "--data-dir", restored, "--from", archive], "");
    assert!(!o.status.success(), "a second restore into it");
}

#[test]
fn a_tenant_is_exported_erased_only_when_suspended_and_confirmed_and_imported_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (one, two, archive) = (path("one"), path("two"), path("east.zip"));
    // `loopdesk tenant <verb> --data-dir <data> <rest…>`, its output, and whether it worked.
    let tenant = |data: &str, verb: &str, rest: &[&str]| {
        let mut args = vec!["tenant", verb, "--data-dir", data];
        args.extend_from_slice(rest);
        let o = loopdesk(&args, "correct horse battery\n");
        (o.status.success(), text(&o))
    };
    let (ok, said) = tenant(&one, "create", &["--slug", "east", "--name", "华东"]);
    assert!(ok, "{said}");

    let (ok, said) = tenant(&one, "export", &["--slug", "east", "--out", &archive]);
    assert!(ok && said.contains("tenant east exported"), "{said}");
    let (ok, said) = tenant(&one, "export", &["--slug", "west", "--out", &path("w.zip")]);
    assert!(!ok && said.contains("west"), "{said}");

    let erase = |confirm: &str| tenant(&one, "delete", &["--slug", "east", "--confirm", confirm]);
    let (ok, said) = erase("eats");
    assert!(!ok && said.contains("--confirm east"), "{said}");
    let (ok, said) = erase("east");
    assert!(
        !ok && said.contains("suspend it first"),
        "a tenant in use: {said}"
    );
    assert!(tenant(&one, "suspend", &["--slug", "east"]).0);
    let (ok, said) = erase("east");
    assert!(ok && said.contains("tenant east erased"), "{said}");
    let (_, listed) = tenant(&one, "list", &[]);
    assert!(!listed.lines().any(|l| l.starts_with("east ")), "{listed}");

    let (ok, said) = tenant(&two, "import", &["--from", &archive]);
    assert!(
        ok && said.contains("every table and file checked"),
        "{said}"
    );
    let (_, listed) = tenant(&two, "list", &[]);
    assert!(listed.lines().any(|l| l.starts_with("east ")), "{listed}");
    let (ok, said) = tenant(&two, "import", &["--from", &archive]);
    assert!(!ok && said.contains("already"), "twice: {said}");
}
