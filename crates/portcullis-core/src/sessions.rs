//! Seeing and ending login sessions, and reading the activity log: the caller's own, or (with
//! the permission) anyone's in the tenant.

use crate::authz::Action;
use crate::error::{Error, Result};
use crate::ids::{SessionId, UserId};
use crate::model::{Activity, ActivityFilter, ClientInfo, Page, Paging, Principal, Session};
use crate::services::Services;

impl Services {
    /// The live sessions of a user: the caller's own, or, with `users.manage`, anyone's in the
    /// tenant ([`Error::NotFound`] for a user elsewhere).
    pub async fn sessions_of(&self, principal: &Principal, user: UserId) -> Result<Vec<Session>> {
        if user == principal.user.id {
            self.authorize(principal, Action::ViewOwnSessions).await?;
        } else {
            self.authorize(principal, Action::ViewUserSessions).await?;
            self.tenant_user(principal, user).await?;
        }
        Ok(self.store.live_sessions(user, self.now()).await?)
    }

    /// One session, if the caller may see it.
    pub async fn session(&self, principal: &Principal, id: &str) -> Result<Session> {
        let session = self.find_session(principal, id).await?;
        let action = if session.user_id == principal.user.id {
            Action::ViewOwnSessions
        } else {
            Action::ViewUserSessions
        };
        self.authorize(principal, action).await?;
        Ok(session)
    }

    /// Ends a session and every token it issued, at once on this node.
    pub async fn end_session(
        &self,
        principal: &Principal,
        id: &str,
        client: &ClientInfo,
    ) -> Result<()> {
        let session = self.find_session(principal, id).await?;
        let action = if session.user_id == principal.user.id {
            Action::EndOwnSession
        } else {
            Action::EndUserSession
        };
        self.authorize(principal, action).await?;
        if action == Action::EndUserSession {
            let owner = self.tenant_user(principal, session.user_id).await?;
            self.check_outranks(principal, &owner).await?;
        }
        let activity = self.activity_of(principal, client, "Ended a session.");
        self.store
            .end_session(&session.id, &activity, self.now())
            .await?;
        self.principals.forget_user(session.user_id);
        Ok(())
    }

    /// A session of the caller's tenant by id ([`Error::NotFound`] otherwise, ended or not).
    async fn find_session(&self, principal: &Principal, id: &str) -> Result<Session> {
        self.store
            .session(&SessionId(id.to_owned()))
            .await?
            .filter(|s| s.tenant_id == principal.tenant_id)
            .ok_or(Error::NotFound)
    }

    /// The users of the tenant with these ids, for embedding in a list (one query).
    pub async fn users_by_ids(
        &self,
        principal: &Principal,
        ids: &[UserId],
    ) -> Result<Vec<crate::model::User>> {
        Ok(self.store.users_by_ids(&principal.tenant_id, ids).await?)
    }

    /// The activity log, newest first: the whole tenant's, or one user's (`users.activity`
    /// either way), filtered by a case-insensitive search of the description.
    pub async fn activity_log(
        &self,
        principal: &Principal,
        user: Option<UserId>,
        search: Option<&str>,
        paging: Paging,
    ) -> Result<Page<Activity>> {
        let filter = ActivityFilter {
            user,
            search: search.map(str::to_owned),
            ..ActivityFilter::default()
        };
        self.filtered_activity_log(principal, filter, paging).await
    }

    /// The activity log, newest first, as `filter` narrows it (`users.activity`).
    pub async fn filtered_activity_log(
        &self,
        principal: &Principal,
        mut filter: ActivityFilter,
        paging: Paging,
    ) -> Result<Page<Activity>> {
        self.authorize(principal, Action::ViewActivity).await?;
        if let Some(user) = filter.user {
            self.tenant_user(principal, user).await?;
        }
        let blank =
            |text: Option<String>| text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        filter.search = blank(filter.search);
        filter.ip_address = blank(filter.ip_address);
        self.activity_page(principal, &filter, paging).await
    }

    /// The caller's own activity, newest first. Only a login session reads it: a personal
    /// token or an application's token carries no right to the person's sign-in history.
    pub async fn own_activity(
        &self,
        principal: &Principal,
        paging: Paging,
    ) -> Result<Page<Activity>> {
        if !crate::account_changes::is_login_session(principal) {
            return Err(Error::Forbidden);
        }
        let filter = ActivityFilter {
            user: Some(principal.user.id),
            ..ActivityFilter::default()
        };
        self.activity_page(principal, &filter, paging).await
    }

    /// A page of the principal's tenant's log, with each entry's browser, platform and device
    /// read from its user agent.
    async fn activity_page(
        &self,
        principal: &Principal,
        filter: &ActivityFilter,
        paging: Paging,
    ) -> Result<Page<Activity>> {
        let (rows, total) = self
            .store
            .activities(&principal.tenant_id, filter, paging)
            .await?;
        let items = rows
            .into_iter()
            .map(|row| {
                let agent = row
                    .user_agent
                    .as_deref()
                    .map(crate::useragent::parse)
                    .unwrap_or_default();
                Activity {
                    browser: agent.browser,
                    platform: agent.platform,
                    device: agent.device,
                    ..row
                }
            })
            .collect();
        Ok(Page {
            items,
            total,
            page: paging,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Paging;

    #[test]
    fn paging_defaults_and_caps() {
        assert_eq!(
            Paging::new(None, None),
            Paging {
                page: 1,
                per_page: 20
            }
        );
        assert_eq!(
            Paging::new(Some(0), Some(1000)),
            Paging {
                page: 1,
                per_page: 100
            }
        );
        assert_eq!(
            Paging::new(Some(-3), Some(0)),
            Paging {
                page: 1,
                per_page: 1
            }
        );
    }

    #[test]
    fn pages_ranges_and_the_last_page() {
        let second = Paging::new(Some(2), Some(20));
        assert_eq!(second.offset(), 20);
        assert_eq!(second.last_page(100), 5);
        assert_eq!(second.last_page(101), 6);
        assert_eq!(second.last_page(0), 1);
        assert_eq!(second.range(100), Some((21, 40)));
        assert_eq!(second.range(25), Some((21, 25)));
        assert_eq!(second.range(20), None, "past the end");
        assert_eq!(Paging::new(None, None).range(0), None);
        let far = Paging::new(Some(i64::MAX), Some(100));
        assert!(far.range(10).is_none(), "no overflow");
    }
}
