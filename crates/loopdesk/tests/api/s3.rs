//! Uploaded files in an S3-compatible bucket (issue 24): a real S3 server on loopback
//! (s3rver, from the npm registry) behind `--attachments s3+http://KEY:SECRET@host/bucket`.
//! Uploads, thumbnails and streamed downloads go through it and nothing lands in the data
//! directory; a tenant's files are listed by prefix, so its export carries them.

use loopdesk_store::blobs::Blobs;
use loopdesk_testkit::S3Server;

use crate::helpers::{spawn_app_with, Backend};
use crate::on_both_backends;

on_both_backends!(files_live_in_an_s3_bucket_and_stream_from_it);

/// A small PNG (real image bytes, so the upload's sniffing and thumbnailing take it).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x60, 0x60, 0x60, 0xF8,
    0x0F, 0x00, 0x01, 0x04, 0x01, 0x00, 0x5F, 0xE5, 0xC3, 0x4B, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

async fn files_live_in_an_s3_bucket_and_stream_from_it(backend: Backend) {
    if !S3Server::available() {
        assert!(
            std::env::var_os("LOOPDESK_REQUIRE_S3").is_none(),
            "node and crates/testkit/node/node_modules are required here"
        );
        eprintln!("skipped: the S3 server is not installed");
        return;
    }
    let server = S3Server::start("loopdesk-files").await.unwrap();
    let address = server.address.clone();
    let app = spawn_app_with(backend, |cfg| {
        cfg.attachments = loopdesk::config::Attachments::S3(address.clone().into());
    })
    .await;
    let (customer, _) = app.customer(&app.admin, "云存储客户", "13800138111").await;
    let ticket = app
        .ticket(&app.admin, &customer, "现场照片存到对象存储")
        .await;
    let id = ticket["id"].as_str().unwrap();
    let up = app
        .upload(&app.admin, id, "other", PNG.to_vec(), "现场.png")
        .await;
    assert_eq!(up.status(), 201);
    let file = up.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let down = app
        .get(&app.admin, &format!("/api/v1/attachments/{file}"))
        .await;
    assert_eq!(down.status(), 200);
    assert_eq!(down.bytes().await.unwrap().as_ref(), PNG);
    let thumb = app
        .get(&app.admin, &format!("/api/v1/attachments/{file}/thumbnail"))
        .await;
    assert_eq!(thumb.status(), 200);
    // In the bucket, under the tenant's prefix; nothing in the data directory.
    let bucket = loopdesk::s3::S3Blobs::new(&server.address).unwrap();
    let tenant = app.default_tenant_id().await;
    let keys = bucket.keys(&tenant).await.unwrap();
    assert_eq!(
        keys,
        [
            format!("{tenant}/{file}"),
            format!("{tenant}/{file}.thumb.jpg")
        ]
    );
    assert!(!app.config.data_dir.join("attachments").exists());

    // A file bigger than a piece streams back whole; one removed is gone.
    let big: Vec<u8> = (0..3 * 1024 * 1024 + 7).map(|i| (i % 251) as u8).collect();
    bucket.put(&format!("{tenant}/big"), &big).await.unwrap();
    let mut pieces = bucket.pieces(&format!("{tenant}/big")).await.unwrap();
    let mut back = Vec::new();
    let mut count = 0;
    while let Some(piece) = futures_util::StreamExt::next(&mut pieces).await {
        back.extend(piece.unwrap());
        count += 1;
    }
    assert_eq!(back.len(), big.len());
    assert!(back == big && count > 1, "{count} pieces");
    bucket.delete(&format!("{tenant}/big")).await.unwrap();
    bucket.delete(&format!("{tenant}/big")).await.unwrap();
    let gone = bucket.get(&format!("{tenant}/big")).await.unwrap_err();
    assert_eq!(gone.kind(), std::io::ErrorKind::NotFound);

    // The tenant's export carries the bucket's files.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("default.zip");
    let now = {
        use loopdesk_core::clock::Clock;
        app.clock.now()
    };
    let sums = loopdesk_web::tenant_archive::export(&app.store, &bucket, "default", &out, now)
        .await
        .unwrap();
    assert_eq!(sums.files.len(), 2, "{:?}", sums.files.keys());

    // A key the server does not know is refused, and said so. (s3rver checks the access key
    // and the form of a V4-signed request, not the V4 signature itself: that is rusty-s3's,
    // which its own tests check against AWS's published examples.)
    let wrong = server.address.replace("S3RVER:S3RVER", "NOT-OURS:S3RVER");
    let refused = loopdesk::s3::S3Blobs::new(&wrong)
        .unwrap()
        .put(&format!("{tenant}/x"), b"x")
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("403"), "{refused}");
}
