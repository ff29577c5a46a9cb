//! A customer's contacts and sites changed or removed from the card.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_core::{ContactId, CustomerId, SiteId};
use loopdesk_store::{Site, StoreError};
use maud::{html, Markup};

use super::customers::{answer, writer_only, CardForm, SiteForm};
use super::layout::PageUser;
use crate::state::AppState;

/// A site row's edit form and remove button.
pub fn site_actions(lang: Lang, customer: CustomerId, s: &Site) -> Markup {
    let coord = |v: Option<f64>| v.map(|v| format!("{v:.6}")).unwrap_or_default();
    html! {
        details.edit-contact {
            summary { a { (t(lang, "page.customers.edit_site")) } }
            form method="post" action={ "/customers/" (customer) "/sites/" (s.id) } {
                input name="site_name" required maxlength="200" value=(s.name) aria-label=(t(lang, "page.customers.site_name"));
                input name="address" required maxlength="500" value=(s.address) aria-label=(t(lang, "page.customers.address"));
                input name="lat" inputmode="decimal" value=(coord(s.lat)) aria-label=(t(lang, "page.customers.lat")) placeholder=(t(lang, "page.customers.lat"));
                input name="lon" inputmode="decimal" value=(coord(s.lon)) aria-label=(t(lang, "page.customers.lon")) placeholder=(t(lang, "page.customers.lon"));
                input name="geofence_m" inputmode="numeric" value=(format!("{:.0}", s.geofence_m)) aria-label=(t(lang, "page.customers.geofence"));
                button type="submit" { (t(lang, "page.desk.save")) }
            }
            form method="post" action={ "/customers/" (customer) "/sites/" (s.id) "/remove" }
                data-confirm=(tf(lang, "page.customers.remove_site_confirm", &[("name", &s.name)])) {
                button.quiet type="submit" { (t(lang, "page.customers.remove_site")) }
            }
        }
    }
}

fn ids<T>(
    (customer, other): (String, String),
    parse: fn(&str) -> Option<T>,
) -> Option<(CustomerId, T)> {
    Some((CustomerId::parse(&customer)?, parse(&other)?))
}

/// Removes a contact (someone who left); their tickets keep their name.
pub async fn remove_contact(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(path): Path<(String, String)>,
) -> Response {
    if let Some(no) = writer_only(&user, lang) {
        return no;
    }
    let Some((id, contact)) = ids(path, ContactId::parse) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let result = user
        .tenant
        .remove_contact(id, contact, state.clock.now())
        .await;
    answer(
        &user,
        lang,
        id,
        state.clock.now(),
        CardForm::Contact,
        result,
    )
    .await
}

/// Saves a site's name, address, position and geofence.
pub async fn edit_site(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(path): Path<(String, String)>,
    Form(f): Form<SiteForm>,
) -> Response {
    if let Some(no) = writer_only(&user, lang) {
        return no;
    }
    let Some((id, site)) = ids(path, SiteId::parse) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let result = async { user.tenant.edit_site(id, site, f.to_new(lang)?).await }.await;
    answer(&user, lang, id, state.clock.now(), CardForm::Site, result).await
}

/// Removes a site where no equipment stands and no ticket is open.
pub async fn remove_site(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(path): Path<(String, String)>,
) -> Response {
    if let Some(no) = writer_only(&user, lang) {
        return no;
    }
    let Some((id, site)) = ids(path, SiteId::parse) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let result = user.tenant.remove_site(id, site, state.clock.now()).await;
    answer(&user, lang, id, state.clock.now(), CardForm::Site, result).await
}
