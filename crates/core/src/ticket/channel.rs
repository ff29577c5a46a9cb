//! Intake channels.

use serde::{Deserialize, Serialize};

/// How a request reached us.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A phone call taken by an agent.
    Phone,
    /// The customer portal.
    Web,
    /// The mobile app.
    App,
    /// An e-mail.
    Email,
    /// WeChat (a 公众号's follower, or the WeChat link).
    Wechat,
    /// WeCom (企业微信): a message to the tenant's WeCom application.
    Wecom,
    /// DingTalk (钉钉).
    Dingtalk,
    /// Another system through the API.
    Api,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 8] = [
        Channel::Phone,
        Channel::Web,
        Channel::App,
        Channel::Email,
        Channel::Wechat,
        Channel::Wecom,
        Channel::Dingtalk,
        Channel::Api,
    ];

    /// The code name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Phone => "phone",
            Channel::Web => "web",
            Channel::App => "app",
            Channel::Email => "email",
            Channel::Wechat => "wechat",
            Channel::Wecom => "wecom",
            Channel::Dingtalk => "dingtalk",
            Channel::Api => "api",
        }
    }

    /// Parses a code name.
    pub fn parse(text: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == text)
    }
}
