//! Regions' outlines (admins): each region's GeoJSON pasted or uploaded, checked, and shown
//! on a map at once, as the dashboard and the dispatch board will draw it.

use axum::extract::{Multipart, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_core::region_shape::Shape;
use loopdesk_core::RegionId;
use loopdesk_store::StoreError;
use maud::html;

use super::layout::{page, PageUser};
use super::map::{region_map, Area, Legend};
use crate::extract::CurrentUser;

fn organiser_only(user: &CurrentUser, lang: Lang) -> Option<Response> {
    (!access::allowed(&user.actor, Permission::ManageOrganisation))
        .then(|| super::failure(lang, &StoreError::Forbidden))
}

/// The regions and their outlines.
pub async fn show(PageUser { user, lang }: PageUser) -> Response {
    if let Some(no) = organiser_only(&user, lang) {
        return no;
    }
    regions_page(&user, lang, None).await
}

async fn regions_page(
    user: &CurrentUser,
    lang: Lang,
    error: Option<(RegionId, String, String)>,
) -> Response {
    let regions = match user.tenant.region_shapes().await {
        Ok(r) => r,
        Err(e) => return super::failure(lang, &e),
    };
    let areas: Vec<Area<'_>> = regions
        .iter()
        .filter_map(|r| {
            Some(Area {
                name: &r.name,
                shape: r.shape.as_ref()?,
                value: None,
                href: None,
            })
        })
        .collect();
    let none = |_: f64| String::new();
    let legend = Legend {
        title: t(lang, "page.regions.title"),
        format: &none,
        no_value: "",
    };
    let title = t(lang, "page.regions.title");
    let mut res = page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            p.muted { a href="/admin" { "← " (t(lang, "page.admin.title")) } }
            h1 { (title) }
            p { (t(lang, "page.regions.hint")) }
            (region_map(&areas, &[], &legend))
            @if regions.is_empty() { p.muted { (t(lang, "page.dash.none")) } }
            @for r in &regions {
                section.card {
                    h2 { (r.name) " "
                        @match &r.shape {
                            Some(s) => span.badge { (tf(lang, "page.regions.points", &[("count", &s.polygons.iter().flatten().map(Vec::len).sum::<usize>().to_string())])) },
                            None => span.badge { (t(lang, "page.regions.no_outline")) },
                        }
                    }
                    @if let Some((id, _, message)) = &error {
                        @if *id == r.id {
                            p.field-error role="alert" { (t(lang, "page.regions.outline")) ": " (message) }
                        }
                    }
                    form method="post" action={ "/admin/regions/" (r.id) "/shape" } enctype="multipart/form-data" {
                        label for={ "geojson-" (r.id) } { (t(lang, "page.regions.paste")) }
                        textarea id={ "geojson-" (r.id) } name="geojson" rows="3" placeholder=r#"{"type":"Polygon","coordinates":[[[121.40,31.10],[121.50,31.10],[121.50,31.20],[121.40,31.10]]]}"# {
                            @if let Some((id, text, _)) = &error { @if *id == r.id { (text) } }
                        }
                        label for={ "file-" (r.id) } { (t(lang, "page.regions.upload")) }
                        input id={ "file-" (r.id) } type="file" name="file" accept=".geojson,.json,application/geo+json,application/json";
                        p { button type="submit" { (t(lang, "page.regions.save")) } }
                    }
                    @if r.shape.is_some() {
                        form method="post" action={ "/admin/regions/" (r.id) "/shape/clear" } {
                            button.quiet type="submit" { (t(lang, "page.regions.clear")) }
                        }
                    }
                }
            }
        },
    );
    if error.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

/// Saves a region's outline: the uploaded file if one came, else the pasted text.
pub async fn set_shape(
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Response {
    if let Some(no) = organiser_only(&user, lang) {
        return no;
    }
    let Some(id) = RegionId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let (mut pasted, mut file) = (String::new(), Vec::new());
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                let Ok(bytes) = field.bytes().await else {
                    return super::failure(lang, &StoreError::Invalid(too_large()));
                };
                match name.as_str() {
                    "geojson" => pasted = String::from_utf8_lossy(&bytes).into_owned(),
                    "file" => file = bytes.to_vec(),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => return super::failure(lang, &StoreError::Invalid(too_large())),
        }
    }
    let text = if file.is_empty() {
        pasted
    } else {
        String::from_utf8_lossy(&file).into_owned()
    };
    let shape = match Shape::parse(text.trim()) {
        Ok(s) => s,
        Err(e) => {
            let shown: String = text.chars().take(2000).collect();
            return regions_page(&user, lang, Some((id, shown, t(lang, e.reason).to_owned())))
                .await;
        }
    };
    match user.tenant.set_region_shape(id, Some(&shape)).await {
        Ok(()) => Redirect::to("/admin/regions").into_response(),
        Err(e) => super::failure(lang, &e),
    }
}

/// Removes a region's outline.
pub async fn clear_shape(PageUser { user, lang }: PageUser, Path(id): Path<String>) -> Response {
    if let Some(no) = organiser_only(&user, lang) {
        return no;
    }
    let Some(id) = RegionId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    match user.tenant.set_region_shape(id, None).await {
        Ok(()) => Redirect::to("/admin/regions").into_response(),
        Err(e) => super::failure(lang, &e),
    }
}

fn too_large() -> loopdesk_core::validate::FieldError {
    loopdesk_core::validate::FieldError {
        field: "file",
        reason: "error.payload_too_large",
    }
}
