//! Uploaded files in a bucket of an S3-compatible object store (AWS S3, MinIO, Ceph RGW, 阿里云
//! OSS and 腾讯云 COS in their S3 modes …), named by one address:
//! `s3+https://KEY:SECRET@host[:port]/bucket[?region=…]`. Each request is signed (AWS
//! Signature V4, presigned for a minute) and sent with reqwest; downloads stream a piece at a
//! time, and a tenant's files are listed by their key prefix.

use std::io;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::{self, StreamExt};
use loopdesk_store::blobs::{Blobs, Pieces};
use rusty_s3::actions::{ListObjectsV2, S3Action};
use rusty_s3::{Bucket, Credentials, UrlStyle};

/// How long a signed request stays good.
const SIGNED_FOR: Duration = Duration::from_secs(60);

/// A bucket and the keys to it.
#[derive(Clone)]
pub struct S3Blobs {
    http: reqwest::Client,
    bucket: Bucket,
    credentials: Credentials,
}

impl std::fmt::Debug for S3Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "S3Blobs({} {})",
            self.bucket.base_url(),
            self.bucket.name()
        )
    }
}

impl S3Blobs {
    /// Checks an address (`s3+https://KEY:SECRET@host/bucket?region=…`), saying what is wrong.
    pub fn check(address: &str) -> anyhow::Result<()> {
        S3Blobs::new(address).map(|_| ())
    }

    /// The bucket an address names.
    pub fn new(address: &str) -> anyhow::Result<S3Blobs> {
        let rest = address.strip_prefix("s3+").ok_or_else(|| {
            anyhow::anyhow!("an S3 address starts with s3+https:// or s3+http://")
        })?;
        let url = reqwest::Url::parse(rest)
            .map_err(|e| anyhow::anyhow!("the S3 address is not a URL: {e}"))?;
        let key = url.username();
        let secret = url.password().unwrap_or_default();
        anyhow::ensure!(
            !key.is_empty() && !secret.is_empty(),
            "the S3 address names no KEY:SECRET@"
        );
        let decode = |s: &str| {
            percent_decode(s).ok_or_else(|| anyhow::anyhow!("the S3 key or secret is not UTF-8"))
        };
        let credentials = Credentials::new(decode(key)?, decode(secret)?);
        let name = url
            .path_segments()
            .and_then(|mut p| p.next())
            .filter(|b| !b.is_empty())
            .ok_or_else(|| anyhow::anyhow!("the S3 address names no bucket (…/bucket)"))?
            .to_owned();
        let region = url
            .query_pairs()
            .find(|(k, _)| k == "region")
            .map_or_else(|| "us-east-1".to_owned(), |(_, v)| v.into_owned());
        let mut endpoint = url.clone();
        endpoint.set_path("/");
        endpoint.set_query(None);
        endpoint
            .set_username("")
            .and_then(|()| endpoint.set_password(None))
            .map_err(|()| anyhow::anyhow!("the S3 address's host"))?;
        let bucket = Bucket::new(endpoint, UrlStyle::Path, name, region)
            .map_err(|e| anyhow::anyhow!("the S3 bucket: {e}"))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(300))
            .build()
            .map_err(|e| anyhow::anyhow!("an HTTP client: {e}"))?;
        Ok(S3Blobs {
            http,
            bucket,
            credentials,
        })
    }

    /// A request's answer, or the store's refusal as an error (`NotFound` for 404).
    async fn send(&self, request: reqwest::RequestBuilder) -> io::Result<reqwest::Response> {
        let answer = request.send().await.map_err(io::Error::other)?;
        match answer.status().as_u16() {
            200..=299 => Ok(answer),
            404 => Err(io::ErrorKind::NotFound.into()),
            status => {
                let text = answer.text().await.unwrap_or_default();
                Err(io::Error::other(format!("S3 answered {status}: {text}")))
            }
        }
    }
}

/// `%XX` escapes decoded (keys and secrets may hold `/` or `+`, written escaped in a URL).
fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = [bytes.next()?, bytes.next()?];
            out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

impl Blobs for S3Blobs {
    fn put<'a>(&'a self, key: &'a str, bytes: &'a [u8]) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let url = self
                .bucket
                .put_object(Some(&self.credentials), key)
                .sign(SIGNED_FOR);
            self.send(self.http.put(url).body(bytes.to_vec())).await?;
            Ok(())
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Vec<u8>>> {
        Box::pin(async move {
            let url = self
                .bucket
                .get_object(Some(&self.credentials), key)
                .sign(SIGNED_FOR);
            let answer = self.send(self.http.get(url)).await?;
            Ok(answer.bytes().await.map_err(io::Error::other)?.to_vec())
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let url = self
                .bucket
                .delete_object(Some(&self.credentials), key)
                .sign(SIGNED_FOR);
            match self.send(self.http.delete(url)).await {
                Ok(_) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e),
            }
        })
    }

    fn pieces<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Pieces>> {
        Box::pin(async move {
            let url = self
                .bucket
                .get_object(Some(&self.credentials), key)
                .sign(SIGNED_FOR);
            let answer = self.send(self.http.get(url)).await?;
            // The body as it arrives, never whole in memory.
            let pieces = stream::try_unfold(answer, |mut answer| async move {
                match answer.chunk().await.map_err(io::Error::other)? {
                    Some(chunk) => Ok(Some((chunk.to_vec(), answer))),
                    None => Ok(None),
                }
            });
            Ok(pieces.boxed())
        })
    }

    fn keys<'a>(&'a self, dir: &'a str) -> BoxFuture<'a, io::Result<Vec<String>>> {
        Box::pin(async move {
            let mut keys = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let mut list = self.bucket.list_objects_v2(Some(&self.credentials));
                list.with_prefix(format!("{dir}/"));
                if let Some(t) = &token {
                    list.with_continuation_token(t.clone());
                }
                let url = list.sign(SIGNED_FOR);
                let text = self
                    .send(self.http.get(url))
                    .await?
                    .text()
                    .await
                    .map_err(io::Error::other)?;
                // Some stores (s3rver, older gateways) name the namespace the other way round.
                let text = text.replace(
                    "http://doc.s3.amazonaws.com/2006-03-01/",
                    "http://s3.amazonaws.com/doc/2006-03-01/",
                );
                let page = ListObjectsV2::parse_response(&text).map_err(io::Error::other)?;
                keys.extend(page.contents.into_iter().map(|o| o.key));
                match page.next_continuation_token {
                    Some(t) => token = Some(t),
                    None => break,
                }
            }
            keys.sort();
            Ok(keys)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_names_the_store_the_bucket_and_the_keys_or_says_what_is_missing() {
        let ok =
            S3Blobs::new("s3+https://AKID:se%2Fcret@oss.example.com:9000/files?region=cn-east-1")
                .unwrap();
        assert_eq!(ok.bucket.name(), "files");
        assert_eq!(ok.bucket.region(), "cn-east-1");
        assert_eq!(
            ok.bucket.base_url().as_str(),
            "https://oss.example.com:9000/files/"
        );
        assert_eq!(ok.credentials.secret(), "se/cret");
        for (bad, says) in [
            ("https://AKID:s@host/files", "s3+"),
            ("s3+https://host/files", "KEY:SECRET"),
            ("s3+https://AKID:s@host/", "bucket"),
            ("s3+https://AKID:s@", "URL"),
        ] {
            let e = S3Blobs::check(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
        // The secret never shows in what the store prints of itself.
        assert!(!format!("{ok:?}").contains("se/cret"));
    }
}
