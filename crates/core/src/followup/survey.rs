//! The survey: its answer and what it sets off, and its signed link.

use crate::validate::FieldError;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::*;

/// A customer's answer to the survey.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SurveyAnswer {
    /// Satisfaction, 1 (very unhappy) to 5 (very happy).
    pub csat: i64,
    /// Likelihood to recommend, 0 to 10.
    pub nps: i64,
    /// Anything else they want to say (up to 2,000 characters).
    #[serde(default)]
    pub comment: Option<String>,
}

impl SurveyAnswer {
    /// Checks the ranges; a blank comment counts as none.
    pub fn checked(mut self) -> Result<SurveyAnswer, FieldError> {
        if !(1..=5).contains(&self.csat) {
            return fail("csat", "error.survey_csat");
        }
        if !(0..=10).contains(&self.nps) {
            return fail("nps", "error.survey_nps");
        }
        self.comment = self
            .comment
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
        if self
            .comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > 2000)
        {
            return fail("comment", "error.too_long");
        }
        Ok(self)
    }
}

/// Why a ticket went into the remediation queue (补救通道).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Remediation {
    /// CSAT of 2 or less.
    LowCsat,
    /// NPS of 6 or less (a detractor).
    Detractor,
    /// The customer said it is not fixed.
    NotFixed,
}

impl Remediation {
    /// The code name (in the `remediation_opened` event).
    pub fn as_str(self) -> &'static str {
        match self {
            Remediation::LowCsat => "low_csat",
            Remediation::Detractor => "detractor",
            Remediation::NotFixed => "not_fixed",
        }
    }
}

/// What an answer sets off.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Triage {
    /// Reasons to open remediation (none: no remediation).
    pub remediation: Vec<Remediation>,
    /// The customer joins the loyalty programme.
    pub loyal: bool,
}

/// CSAT ≤ 2 or NPS ≤ 6 opens remediation; CSAT 5 with NPS ≥ 9 tags the customer loyal.
pub fn triage(answer: &SurveyAnswer) -> Triage {
    let mut remediation = Vec::new();
    if answer.csat <= 2 {
        remediation.push(Remediation::LowCsat);
    }
    if answer.nps <= 6 {
        remediation.push(Remediation::Detractor);
    }
    Triage {
        remediation,
        loyal: answer.csat == 5 && answer.nps >= 9,
    }
}

/// The tag that marks a customer for the loyalty programme.
pub const LOYALTY_TAG: &str = "loyalty";

/// The token of a survey link: the survey id and an HMAC-SHA256 of it under the tenant's
/// survey key. Nobody without the key can make one; the expiry is kept with the survey.
pub fn survey_token(key: &str, survey_id: &str) -> String {
    format!("{survey_id}.{}", hex::encode(survey_mac(key, survey_id)))
}

/// The survey id a token names, without checking it (to find the key).
pub fn survey_token_id(token: &str) -> Option<&str> {
    token.split_once('.').map(|(id, _)| id)
}

/// Checks a token in constant time.
pub fn verify_survey_token(key: &str, token: &str) -> bool {
    let Some((id, sig)) = token.split_once('.') else {
        return false;
    };
    let Ok(bytes) = hex::decode(sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return false;
    };
    mac.update(b"survey:");
    mac.update(id.as_bytes());
    mac.verify_slice(&bytes).is_ok()
}

pub(crate) fn survey_mac(key: &str, survey_id: &str) -> Vec<u8> {
    // HMAC takes a key of any length; this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return Vec::new();
    };
    mac.update(b"survey:");
    mac.update(survey_id.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Why a survey cannot be answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SurveyClosed {
    /// Answered already.
    Answered,
    /// The link has expired.
    Expired,
}

/// Whether a survey can still be answered at `now`.
pub fn survey_open(
    answered: bool,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), SurveyClosed> {
    if answered {
        Err(SurveyClosed::Answered)
    } else if now >= expires_at {
        Err(SurveyClosed::Expired)
    } else {
        Ok(())
    }
}
