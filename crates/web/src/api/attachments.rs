//! Uploads: photos, signatures and documents on a ticket. Size-limited, content-sniffed
//! (the declared type is not trusted), stored under the data directory, and served only to
//! those who may see the ticket.

use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use loopdesk_core::ticket::transitions::AttachmentKind;
use loopdesk_core::{AttachmentId, TicketId};
use loopdesk_store::Attachment;
use sha2::{Digest, Sha256};

use super::path_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// The content types accepted, recognised by their first bytes.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if starts(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

fn too_large() -> ApiError {
    ApiError::payload_too_large().field("file")
}

/// Uploads a file (`multipart/form-data` with `file` and `kind` = before|after|signature|other;
/// for a signature, `drawn_ms`: how long the pen was on the screen, which screening reads).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/attachments", tag = "attachments", params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", content = Object),
    responses((status = 201, body = Attachment), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_attachment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    mut form: Multipart,
) -> Result<(StatusCode, Json<Attachment>), ApiError> {
    let ticket = path_id(&id, TicketId::parse)?;
    let mut kind = AttachmentKind::Other;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut drawn_ms = None;
    let bad_form = |_| ApiError::invalid("file", "error.invalid_value");
    while let Some(field) = form.next_field().await.map_err(bad_form)? {
        match field.name().unwrap_or("") {
            "kind" => {
                let text = field.text().await.map_err(bad_form)?;
                kind = AttachmentKind::parse(text.trim())
                    .ok_or_else(|| ApiError::invalid("kind", "error.invalid_value"))?;
            }
            "drawn_ms" => {
                let text = field.text().await.map_err(bad_form)?;
                let ms = text
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|ms| (0..=3_600_000).contains(ms))
                    .ok_or_else(|| ApiError::invalid("drawn_ms", "error.invalid_number"))?;
                drawn_ms = Some(ms);
            }
            "file" => {
                let name = field.file_name().unwrap_or("upload").to_owned();
                let bytes = field.bytes().await.map_err(|_| too_large())?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    let (filename, bytes) = file.ok_or_else(|| ApiError::invalid("file", "error.required"))?;
    if drawn_ms.is_some() && kind != AttachmentKind::Signature {
        return Err(ApiError::invalid("drawn_ms", "error.invalid_value"));
    }
    let a = save_upload(&state, &user, ticket, kind, &filename, &bytes).await?;
    if let Some(ms) = drawn_ms {
        user.tenant.set_drawn_ms(a.id, ms).await?;
    }
    Ok((StatusCode::CREATED, Json(a)))
}

/// Why an upload is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UploadProblem {
    /// Larger than the configured limit.
    TooLarge,
    /// Not a type Loopdesk accepts.
    Unsupported,
    /// Not an image where one is needed (a photo, a signature).
    NotAnImage,
    /// It starts like a type Loopdesk accepts but is not a whole file of it.
    Damaged,
}

impl UploadProblem {
    /// The translation key of the reason.
    pub(crate) fn key(self) -> &'static str {
        match self {
            UploadProblem::TooLarge => "error.payload_too_large",
            UploadProblem::Unsupported | UploadProblem::NotAnImage => {
                "error.unsupported_media_type"
            }
            UploadProblem::Damaged => "error.invalid_file",
        }
    }
}

impl From<UploadProblem> for ApiError {
    fn from(p: UploadProblem) -> ApiError {
        match p {
            UploadProblem::TooLarge => too_large(),
            UploadProblem::Unsupported => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "error.unsupported_media_type",
            )
            .field("file"),
            UploadProblem::NotAnImage => ApiError::invalid("kind", "error.invalid_value"),
            UploadProblem::Damaged => ApiError::invalid("file", "error.invalid_file"),
        }
    }
}

/// An upload that passed the checks.
pub(crate) struct Checked {
    /// Its type, from its first bytes.
    pub content_type: &'static str,
    /// For an image, its small JPEG (made from the decoding that proved it whole).
    pub thumbnail: Option<Vec<u8>>,
    /// For a picture with enough in it to compare, its difference hash (core's `photo`).
    pub phash: Option<u64>,
}

/// Checks an upload before anything is stored: at most the configured size, a type
/// recognised by its first bytes (an image, when `image_only`), and a whole file of that
/// type: an image must decode completely (within the thumbnail's limits), a PDF must end as
/// one. Answers the content type, and an image's thumbnail.
pub(crate) async fn check_upload(
    state: &AppState,
    bytes: &[u8],
    image_only: bool,
) -> Result<Checked, UploadProblem> {
    if bytes.len() > state.config.max_upload_bytes {
        return Err(UploadProblem::TooLarge);
    }
    let content_type = sniff(bytes).ok_or(UploadProblem::Unsupported)?;
    if image_only && !content_type.starts_with("image/") {
        return Err(UploadProblem::NotAnImage);
    }
    if content_type.starts_with("image/") {
        let owned = bytes.to_vec();
        let (thumbnail, phash) = tokio::task::spawn_blocking(move || picture(&owned))
            .await
            .ok()
            .flatten()
            .ok_or(UploadProblem::Damaged)?;
        return Ok(Checked {
            content_type,
            thumbnail: Some(thumbnail),
            phash,
        });
    }
    if !ends_as_pdf(bytes) {
        return Err(UploadProblem::Damaged);
    }
    Ok(Checked {
        content_type,
        thumbnail: None,
        phash: None,
    })
}

/// An image reader within limits: a small file cannot claim a gigapixel canvas.
fn reader(bytes: &[u8]) -> Option<image::ImageReader<std::io::Cursor<&[u8]>>> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(12_000);
    limits.max_image_height = Some(12_000);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    Some(reader)
}

/// True when a PDF ends with its end-of-file marker (in its last kilobyte, as readers look
/// for it): a truncated or disguised file does not.
pub fn ends_as_pdf(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    tail.windows(5).any(|w| w == b"%%EOF")
}

/// Stores an upload on a ticket: at most the configured size, sniffed (only images for
/// photos and signatures), written under the data directory with an image's thumbnail beside
/// it, then recorded; a refused upload leaves no file behind.
pub(crate) async fn save_upload(
    state: &AppState,
    user: &CurrentUser,
    ticket: TicketId,
    kind: AttachmentKind,
    filename: &str,
    bytes: &[u8],
) -> Result<Attachment, ApiError> {
    // Only an image can be a signature or a photo.
    let checked = check_upload(state, bytes, kind != AttachmentKind::Other).await?;
    let content_type = checked.content_type;
    let id = AttachmentId::new();
    let key = format!("{}/{}", user.tenant.tenant_id(), id);
    let thumb_key = format!("{key}.thumb.jpg");
    state
        .blobs
        .put(&key, bytes)
        .await
        .map_err(ApiError::internal)?;
    if let Some(small) = &checked.thumbnail {
        // Without it the file is still whole: the thumbnail is made again on first view.
        if let Err(e) = state.blobs.put(&thumb_key, small).await {
            tracing::warn!(error = %e, "keeping a thumbnail failed");
        }
    }
    let sha = hex::encode(Sha256::digest(bytes));
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let stored = user
        .tenant
        .add_attachment(
            &user.actor,
            ticket,
            kind,
            filename,
            content_type,
            size,
            &sha,
            &key,
            id,
            state.clock.now(),
        )
        .await;
    match stored {
        Ok(a) => {
            // A photo's hash, for screening the report it goes into (a signature is not
            // compared: one customer signs alike on every ticket).
            if let (Some(hash), AttachmentKind::Before | AttachmentKind::After) =
                (checked.phash, kind)
            {
                if let Err(e) = user.tenant.set_photo_hash(a.id, hash).await {
                    tracing::warn!(error = %e, "keeping a photo's hash failed");
                }
            }
            Ok(a)
        }
        Err(e) => {
            // Nothing points at the file: remove it so a refused upload leaves no trace.
            let _ = state.blobs.delete(&key).await;
            let _ = state.blobs.delete(&thumb_key).await;
            Err(e.into())
        }
    }
}

/// Downloads a file, if the caller may see its ticket.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "attachments", params(("id" = String, Path)),
    responses((status = 200, description = "The file"), (status = 404, body = ErrorBody)))]
pub async fn get_attachment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, AttachmentId::parse)?;
    let a = user.tenant.attachment(&user.actor, id).await?;
    // Streamed a piece at a time: a large file is never whole in memory.
    let pieces = state
        .blobs
        .pieces(&a.storage_key)
        .await
        .map_err(ApiError::internal)?;
    let mut answer = private_file(&a.content_type, 3600, axum::body::Body::from_stream(pieces));
    if let Ok(length) = header::HeaderValue::from_str(&a.size_bytes.to_string()) {
        answer.headers_mut().insert(header::CONTENT_LENGTH, length);
    }
    Ok(answer)
}

/// A stored file as the answer: its type, kept only by the caller's browser for `max_age`
/// seconds, never sniffed as another type, never run as a page (a sandbox of its own).
fn private_file(content_type: &str, max_age: u32, bytes: impl IntoResponse) -> Response {
    let headers = [
        (header::CONTENT_TYPE, content_type.to_owned()),
        (header::CACHE_CONTROL, format!("private, max-age={max_age}")),
        (
            header::HeaderName::from_static("x-content-type-options"),
            "nosniff".to_owned(),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            crate::security::ATTACHMENT_CSP.to_owned(),
        ),
    ];
    (headers, bytes).into_response()
}

/// The longest side of a thumbnail, in pixels.
const THUMBNAIL_PX: u32 = 320;

/// A photo made small (JPEG, at most 320 px a side), if the caller may see its ticket: made
/// on first request and kept beside the file. Documents have none (404).
#[utoipa::path(get, path = "/api/v1/attachments/{id}/thumbnail", tag = "attachments", params(("id" = String, Path)),
    responses((status = 200, description = "A JPEG"), (status = 404, body = ErrorBody)))]
pub async fn get_thumbnail(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, AttachmentId::parse)?;
    let a = user.tenant.attachment(&user.actor, id).await?;
    if !a.content_type.starts_with("image/") {
        return Err(loopdesk_store::StoreError::NotFound.into());
    }
    let jpeg = thumbnail_of(&state, &a).await?;
    Ok(private_file("image/jpeg", 86_400, jpeg))
}

/// The small JPEG of a photo: made on first request and kept beside the file.
pub(crate) async fn thumbnail_of(state: &AppState, a: &Attachment) -> Result<Vec<u8>, ApiError> {
    let key = format!("{}.thumb.jpg", a.storage_key);
    if let Ok(bytes) = state.blobs.get(&key).await {
        return Ok(bytes);
    }
    let original = state
        .blobs
        .get(&a.storage_key)
        .await
        .map_err(ApiError::internal)?;
    let made = tokio::task::spawn_blocking(move || thumbnail(&original))
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::invalid("file", "error.invalid_file"))?;
    state
        .blobs
        .put(&key, &made)
        .await
        .map_err(ApiError::internal)?;
    Ok(made)
}

/// Decodes an image (within the reader's limits), scales it
/// to fit [`THUMBNAIL_PX`] and encodes it as JPEG; `None` when it cannot be read.
pub fn thumbnail(bytes: &[u8]) -> Option<Vec<u8>> {
    picture(bytes).map(|(jpeg, _)| jpeg)
}

/// Pictures smaller than this (either side, in pixels) are not compared.
const HASHED_FROM_PX: u32 = 16;

/// An image's thumbnail (as [`thumbnail`]) and, when it has enough in it to compare, its
/// difference hash — from one decoding.
pub fn picture(bytes: &[u8]) -> Option<(Vec<u8>, Option<u64>)> {
    let small = reader(bytes)?
        .decode()
        .ok()?
        .thumbnail(THUMBNAIL_PX, THUMBNAIL_PX);
    let hash = if small.width() >= HASHED_FROM_PX && small.height() >= HASHED_FROM_PX {
        let grey = small
            .resize_exact(9, 8, image::imageops::FilterType::Triangle)
            .into_luma8();
        let grid: [u8; 72] = grey.as_raw().as_slice().try_into().ok()?;
        Some(loopdesk_core::photo::dhash(&grid)).filter(|h| loopdesk_core::photo::telling(*h))
    } else {
        None
    };
    let small = small.into_rgba8();
    // JPEG has no transparency: what was see-through shows the white of a page, not black.
    let small = image::RgbImage::from_fn(small.width(), small.height(), |x, y| {
        let [r, g, b, a] = small.get_pixel(x, y).0;
        let over_white =
            |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([over_white(r), over_white(g), over_white(b)])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&small)
        .ok()?;
    Some((out, hash))
}

#[cfg(test)]
#[path = "attachments_tests.rs"]
mod tests;
