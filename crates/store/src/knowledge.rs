//! The knowledge base's data: articles with every version, feedback per reader, deflections
//! and the tickets resolved with an article; the articles suggested for a request (core's
//! [`knowledge::suggest`] over the published articles the reader may see).

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::knowledge::{self, visibility, ArticleState, Readable};
use loopdesk_core::search::Kind;
use loopdesk_core::ticket::Actor;
use loopdesk_core::validate::{self, FieldError};
use loopdesk_core::{ArticleId, AssetId, TicketId, UserId};

use crate::rows::{parse_id, parse_opt_id};
use crate::search::index;
use crate::{from_ms, ms, StoreError, TenantStore};

/// An article as read.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Article {
    /// Id.
    #[schema(value_type = String)]
    pub id: ArticleId,
    /// Title.
    pub title: String,
    /// Body, Markdown.
    pub body: String,
    /// Category code it is about.
    pub category: Option<String>,
    /// Equipment model code it is about.
    pub model: Option<String>,
    /// `public` (customers too) or `internal`.
    pub visibility: String,
    /// `draft`, `review`, `published` or `archived`.
    pub state: String,
    /// Optimistic-locking version; each change of the text is kept as a version.
    pub version: i64,
    /// Who wrote it.
    #[schema(value_type = Option<String>)]
    pub author_id: Option<UserId>,
    /// The ticket it was drafted from.
    #[schema(value_type = Option<String>)]
    pub source_ticket_id: Option<TicketId>,
    /// Readers who found it helpful.
    pub helpful: i64,
    /// Readers who did not.
    pub not_helpful: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// First published.
    pub published_at: Option<DateTime<Utc>>,
}

/// What articles are suggested for: a request's text, and its category and equipment where
/// known.
#[derive(Clone, Copy, Debug, Default)]
pub struct ArticleQuery<'a> {
    /// Subject.
    pub subject: &'a str,
    /// Description.
    pub description: &'a str,
    /// The category code.
    pub category: Option<&'a str>,
    /// The equipment (its model weighs).
    pub asset_id: Option<AssetId>,
}

/// A published article as suggestions name it.
#[derive(Clone, Debug)]
pub(crate) struct Offered {
    id: ArticleId,
    title: String,
    public: bool,
}

/// The tenant's published articles, their words counted.
pub(crate) type Published = std::sync::Arc<Vec<knowledge::Prepared<Offered>>>;

/// A new article.
#[derive(Clone, Debug, Default)]
pub struct NewArticle {
    /// Title.
    pub title: String,
    /// Body, Markdown.
    pub body: String,
    /// Category code.
    pub category: Option<String>,
    /// Model code.
    pub model: Option<String>,
    /// `public` or `internal` (default internal).
    pub visibility: Option<String>,
    /// The ticket it comes from.
    pub source_ticket_id: Option<TicketId>,
}

/// A change to an article.
#[derive(Clone, Debug, Default)]
pub struct ArticleChange {
    /// The version last seen.
    pub version: i64,
    /// New title.
    pub title: Option<String>,
    /// New body.
    pub body: Option<String>,
    /// New category (empty: none).
    pub category: Option<String>,
    /// New visibility.
    pub visibility: Option<String>,
    /// New state.
    pub state: Option<String>,
}

/// The knowledge base's figures for a period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct KnowledgeFigures {
    /// Requests an article answered before they were filed.
    pub deflections: i64,
    /// Tickets resolved with an article.
    pub resolved_with_article: i64,
    /// Articles published.
    pub published: i64,
}

const COLUMNS: &str = "a.id, a.title, a.body, a.category, a.model, a.visibility, a.state, a.version, \
    a.author_id, a.source_ticket_id, a.created_at, a.updated_at, a.published_at, \
    (SELECT COUNT(*) FROM article_feedback f WHERE f.article_id = a.id AND f.helpful = 1) AS helpful, \
    (SELECT COUNT(*) FROM article_feedback f WHERE f.article_id = a.id AND f.helpful = 0) AS not_helpful";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    title: String,
    body: String,
    category: Option<String>,
    model: Option<String>,
    visibility: String,
    state: String,
    version: i64,
    author_id: Option<String>,
    source_ticket_id: Option<String>,
    created_at: i64,
    updated_at: i64,
    published_at: Option<i64>,
    helpful: i64,
    not_helpful: i64,
}

impl Row {
    fn into_article(self) -> Result<Article, StoreError> {
        Ok(Article {
            id: parse_id(&self.id, ArticleId::parse)?,
            title: self.title,
            body: self.body,
            category: self.category,
            model: self.model,
            visibility: self.visibility,
            state: self.state,
            version: self.version,
            author_id: parse_opt_id(self.author_id, UserId::parse)?,
            source_ticket_id: parse_opt_id(self.source_ticket_id, TicketId::parse)?,
            helpful: self.helpful,
            not_helpful: self.not_helpful,
            created_at: from_ms(self.created_at),
            updated_at: from_ms(self.updated_at),
            published_at: self.published_at.map(from_ms),
        })
    }
}

/// The condition on articles `a` for what the reader may see (core's [`knowledge::readable`]).
fn readable(actor: &Actor) -> &'static str {
    crate::scope::readable_sql(knowledge::readable(actor))
}

impl TenantStore {
    async fn check_category(&self, category: Option<&str>) -> Result<(), StoreError> {
        let Some(code) = category else { return Ok(()) };
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM categories WHERE tenant_id = $1 AND code = $2",
        )
        .bind(self.tid())
        .bind(code)
        .fetch_one(&self.store.read)
        .await?;
        if n == 0 {
            return Err(FieldError {
                field: "category",
                reason: "error.unknown_category",
            }
            .into());
        }
        Ok(())
    }

    /// Writes a new article, a draft (agents, dispatchers, engineers, supervisors, admins).
    pub async fn create_article(
        &self,
        actor: &Actor,
        new: NewArticle,
        now: DateTime<Utc>,
    ) -> Result<Article, StoreError> {
        if !access::allowed(actor, Permission::WriteArticles) {
            return Err(StoreError::Forbidden);
        }
        let text = knowledge::text(&new.title, &new.body)?;
        let category = validate::optional_text("category", new.category.as_deref(), 64)?;
        let model = validate::optional_text("model", new.model.as_deref(), 64)?;
        let visibility = visibility(new.visibility.as_deref())?;
        self.check_category(category.as_deref()).await?;
        if let Some(t) = new.source_ticket_id {
            // Only a ticket the writer may see.
            self.ticket_for(actor, t).await?;
        }
        let id = ArticleId::new();
        let author = actor.user_id().map(|u| u.to_string());
        let mut tx = self.store.write.begin().await?;
        sqlx::query(
            "INSERT INTO articles (id, tenant_id, title, body, category, model, visibility, state, \
             version, author_id, source_ticket_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', 1, $8, $9, $10, $10)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(&text.title)
        .bind(&text.body)
        .bind(&category)
        .bind(&model)
        .bind(visibility.as_str())
        .bind(&author)
        .bind(new.source_ticket_id.map(|t| t.to_string()))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        self.keep_version(
            &mut tx,
            id,
            1,
            &text.title,
            &text.body,
            author.as_deref(),
            now,
        )
        .await?;
        index::refresh(&mut tx, &self.tid(), Kind::Article, &[id.to_string()]).await?;
        tx.commit().await?;
        self.store.articles.forget(self.tenant_id);
        self.article(actor, id).await
    }

    #[expect(clippy::too_many_arguments, reason = "one row of the version table")]
    async fn keep_version(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        id: ArticleId,
        version: i64,
        title: &str,
        body: &str,
        author: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO article_versions (tenant_id, article_id, version, title, body, author_id, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .bind(version)
        .bind(title)
        .bind(body)
        .bind(author)
        .bind(ms(now))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Drafts an article from a ticket's last work report (存为知识): the fault as told, the
    /// resolution and the parts, in the writer's language; the writer tidies it before review.
    pub async fn draft_article_from(
        &self,
        actor: &Actor,
        ticket: TicketId,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<Article, StoreError> {
        if !access::allowed(actor, Permission::WriteArticles) {
            return Err(StoreError::Forbidden);
        }
        let detail = self.ticket_for(actor, ticket).await?;
        let reports = self.last_reports(actor, &[ticket]).await?;
        let Some(report) = reports
            .get(&ticket)
            .filter(|r| !r.resolution.trim().is_empty())
        else {
            return Err(FieldError {
                field: "ticket_id",
                reason: "error.no_resolution",
            }
            .into());
        };
        let parts: Vec<String> = report
            .parts
            .iter()
            .map(|p| format!("{} × {}", p.sku, p.qty))
            .collect();
        let tk = &detail.ticket;
        let draft = knowledge::draft_from_resolution(
            &tk.subject,
            &tk.description,
            &report.resolution,
            &parts,
            (
                t(lang, "kb.heading.symptom"),
                t(lang, "kb.heading.fix"),
                t(lang, "kb.heading.parts"),
            ),
        );
        let new = NewArticle {
            title: draft.title,
            body: draft.body,
            category: tk.category.clone(),
            model: None,
            visibility: None,
            source_ticket_id: Some(ticket),
        };
        self.create_article(actor, new, now).await
    }

    /// One article the reader may see.
    pub async fn article(&self, actor: &Actor, id: ArticleId) -> Result<Article, StoreError> {
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM articles a WHERE a.tenant_id = $1 AND a.id = $2{}",
            readable(actor)
        ))
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&self.store.read)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_article()
    }

    /// The articles the reader may see, in one state (or all), last changed first.
    pub async fn articles(
        &self,
        actor: &Actor,
        state: Option<ArticleState>,
    ) -> Result<Vec<Article>, StoreError> {
        let mut sql = format!(
            "SELECT {COLUMNS} FROM articles a WHERE a.tenant_id = $1{}",
            readable(actor)
        );
        if let Some(s) = state {
            sql.push_str(&format!(" AND a.state = '{}'", s.as_str()));
        }
        sql.push_str(" ORDER BY a.updated_at DESC, a.id LIMIT 500");
        let rows: Vec<Row> = sqlx::query_as(&sql)
            .bind(self.tid())
            .fetch_all(&self.store.read)
            .await?;
        rows.into_iter().map(Row::into_article).collect()
    }

    /// Changes an article: its text (kept as a new version), category, visibility or state
    /// (a writer sends for review; a reviewer publishes, sends back, archives). `version` must
    /// be current (409).
    pub async fn change_article(
        &self,
        actor: &Actor,
        id: ArticleId,
        change: ArticleChange,
        now: DateTime<Utc>,
    ) -> Result<Article, StoreError> {
        if !access::allowed(actor, Permission::WriteArticles) {
            return Err(StoreError::Forbidden);
        }
        let current = self.article(actor, id).await?;
        if current.version != change.version {
            return Err(StoreError::Stale {
                current: current.version,
            });
        }
        let text = knowledge::text(
            change.title.as_deref().unwrap_or(&current.title),
            change.body.as_deref().unwrap_or(&current.body),
        )?;
        let category = match change.category.as_deref() {
            None => current.category.clone(),
            Some(c) => validate::optional_text("category", Some(c), 64)?,
        };
        self.check_category(category.as_deref()).await?;
        let visibility = match change.visibility.as_deref() {
            None => current.visibility.clone(),
            Some(v) => visibility(Some(v))?.as_str().to_owned(),
        };
        let from =
            ArticleState::parse(&current.state).ok_or_else(|| crate::rows::corrupt("state"))?;
        let to = match change.state.as_deref() {
            None => from,
            Some(s) => ArticleState::parse(s.trim()).ok_or(FieldError {
                field: "state",
                reason: "error.invalid_value",
            })?,
        };
        let reviewer = access::allowed(actor, Permission::ReviewArticles);
        knowledge::may_move(from, to, reviewer)?;
        let rewritten = text.title != current.title || text.body != current.body;
        if rewritten {
            knowledge::may_rewrite(from, reviewer)?;
        }
        let published_at = match (to, current.published_at) {
            (ArticleState::Published, None) => Some(ms(now)),
            (_, at) => at.map(ms),
        };
        let mut tx = self.store.write.begin().await?;
        let updated = sqlx::query(
            "UPDATE articles SET title = $1, body = $2, category = $3, visibility = $4, state = $5, \
             version = version + 1, updated_at = $6, published_at = $7 \
             WHERE tenant_id = $8 AND id = $9 AND version = $10",
        )
        .bind(&text.title)
        .bind(&text.body)
        .bind(&category)
        .bind(&visibility)
        .bind(to.as_str())
        .bind(ms(now))
        .bind(published_at)
        .bind(self.tid())
        .bind(id.to_string())
        .bind(change.version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Err(StoreError::Stale {
                current: change.version + 1,
            });
        }
        if rewritten {
            let author = actor.user_id().map(|u| u.to_string());
            self.keep_version(
                &mut tx,
                id,
                change.version + 1,
                &text.title,
                &text.body,
                author.as_deref(),
                now,
            )
            .await?;
        }
        index::refresh(&mut tx, &self.tid(), Kind::Article, &[id.to_string()]).await?;
        tx.commit().await?;
        self.store.articles.forget(self.tenant_id);
        self.article(actor, id).await
    }

    /// The versions of an article's text, newest first: (version, title, author, when).
    pub async fn article_versions(
        &self,
        actor: &Actor,
        id: ArticleId,
    ) -> Result<Vec<(i64, String, Option<String>, DateTime<Utc>)>, StoreError> {
        self.article(actor, id).await?;
        let rows: Vec<(i64, String, Option<String>, i64)> = sqlx::query_as(
            "SELECT v.version, v.title, u.display_name, v.at FROM article_versions v \
             LEFT JOIN users u ON u.id = v.author_id \
             WHERE v.tenant_id = $1 AND v.article_id = $2 ORDER BY v.version DESC",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_all(&self.store.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(v, title, who, at)| (v, title, who, from_ms(at)))
            .collect())
    }

    /// A reader's helpful / not helpful (one per reader; a second replaces the first).
    pub async fn article_feedback(
        &self,
        actor: &Actor,
        id: ArticleId,
        helpful: bool,
        now: DateTime<Utc>,
    ) -> Result<Article, StoreError> {
        let Some(user) = actor.user_id() else {
            return Err(StoreError::Forbidden);
        };
        self.article(actor, id).await?;
        sqlx::query(
            "INSERT INTO article_feedback (tenant_id, article_id, user_id, helpful, at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (article_id, user_id) \
             DO UPDATE SET helpful = excluded.helpful, at = excluded.at",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .bind(user.to_string())
        .bind(i64::from(helpful))
        .bind(ms(now))
        .execute(&self.store.write)
        .await?;
        self.article(actor, id).await
    }

    /// The article answered the reader's request before they filed it (a deflection).
    pub async fn deflected(
        &self,
        actor: &Actor,
        id: ArticleId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let article = self.article(actor, id).await?;
        if article.state != ArticleState::Published.as_str() {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "INSERT INTO article_deflections (tenant_id, article_id, user_id, at) VALUES ($1, $2, $3, $4)",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .bind(actor.user_id().map(|u| u.to_string()))
        .bind(ms(now))
        .execute(&self.store.write)
        .await?;
        Ok(())
    }

    /// Records that a ticket was resolved with an article (staff who may see both; once).
    pub async fn resolved_with_article(
        &self,
        actor: &Actor,
        ticket: TicketId,
        id: ArticleId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if !access::allowed(actor, Permission::InternalNotes) {
            return Err(StoreError::Forbidden);
        }
        self.ticket_for(actor, ticket).await?;
        self.article(actor, id).await?;
        sqlx::query(
            "INSERT INTO ticket_articles (tenant_id, ticket_id, article_id, user_id, at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ticket_id, article_id) DO NOTHING",
        )
        .bind(self.tid())
        .bind(ticket.to_string())
        .bind(id.to_string())
        .bind(actor.user_id().map(|u| u.to_string()))
        .bind(ms(now))
        .execute(&self.store.write)
        .await?;
        Ok(())
    }

    /// The articles linked to a ticket: (id, title).
    pub async fn ticket_articles(
        &self,
        actor: &Actor,
        ticket: TicketId,
    ) -> Result<Vec<(ArticleId, String)>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT a.id, a.title FROM ticket_articles l JOIN articles a ON a.id = l.article_id \
             WHERE l.tenant_id = $1 AND l.ticket_id = $2{} ORDER BY l.at",
            readable(actor)
        ))
        .bind(self.tid())
        .bind(ticket.to_string())
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter()
            .map(|(id, title)| Ok((parse_id(&id, ArticleId::parse)?, title)))
            .collect()
    }

    /// The published articles the reader may see that answer a request best: (id, title,
    /// relevance), at most three; those about the request's category or its equipment's
    /// model first (core's [`knowledge::relevance`]).
    pub async fn suggest_articles(
        &self,
        actor: &Actor,
        q: ArticleQuery<'_>,
    ) -> Result<Vec<(ArticleId, String, f64)>, StoreError> {
        let published = self.published_articles().await?;
        let public_only = knowledge::readable(actor) == Readable::PublishedPublic;
        let model: Option<String> = match q.asset_id {
            Some(asset) => {
                sqlx::query_scalar("SELECT model FROM assets WHERE tenant_id = $1 AND id = $2")
                    .bind(self.tid())
                    .bind(asset.to_string())
                    .fetch_optional(&self.store.read)
                    .await?
            }
            None => None,
        };
        let asked = knowledge::Asked {
            subject: q.subject,
            description: q.description,
            category: q.category,
            model: model.as_deref(),
        };
        let picked = knowledge::suggest(
            &asked,
            published.iter().filter(|a| a.key.public || !public_only),
        );
        Ok(picked
            .into_iter()
            .map(|(a, score)| (a.id, a.title, score))
            .collect())
    }

    /// The tenant's published articles with their words counted, kept for a minute (or until
    /// this instance changes an article): a suggestion then reads no article.
    async fn published_articles(&self) -> Result<Published, StoreError> {
        if let Some(kept) = self.store.articles.get(self.tenant_id) {
            return Ok(kept);
        }
        // id, title, body, category, model, visibility
        type Row = (
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            String,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, title, body, category, model, visibility FROM articles \
                 WHERE tenant_id = $1 AND state = 'published'",
        )
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        let prepared = rows
            .into_iter()
            .map(|(id, title, body, category, model, visibility)| {
                let key = Offered {
                    id: parse_id(&id, ArticleId::parse)?,
                    public: visibility == knowledge::Visibility::Public.as_str(),
                    title: title.clone(),
                };
                Ok(knowledge::Prepared::new(
                    key,
                    &title,
                    &body,
                    (category, model),
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let kept = std::sync::Arc::new(prepared);
        self.store.articles.put(self.tenant_id, kept.clone());
        Ok(kept)
    }

    /// Deflections, tickets resolved with an article and articles published in `[from, to)`
    /// (managers, supervisors, dispatchers, admins).
    pub async fn knowledge_figures(
        &self,
        actor: &Actor,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<KnowledgeFigures, StoreError> {
        if !access::allowed(actor, Permission::ReadKpis) {
            return Err(StoreError::Forbidden);
        }
        let count = |table: &str, at: &str| {
            format!(
                "SELECT COUNT(*) FROM {table} WHERE tenant_id = $1 AND {at} >= $2 AND {at} < $3"
            )
        };
        let mut out = [0i64; 3];
        for (i, sql) in [
            count("article_deflections", "at"),
            count("ticket_articles", "at"),
            count("articles", "published_at"),
        ]
        .iter()
        .enumerate()
        {
            out[i] = sqlx::query_scalar(sql)
                .bind(self.tid())
                .bind(ms(from))
                .bind(ms(to))
                .fetch_one(&self.store.read)
                .await?;
        }
        Ok(KnowledgeFigures {
            deflections: out[0],
            resolved_with_article: out[1],
            published: out[2],
        })
    }
}
