//! The dashboard's figures: for whoever holds `users.manage`, registrations and account states;
//! for anyone else, their own activity over the last two weeks.

use crate::authz::Action;
use crate::error::Result;
use crate::model::{Paging, Principal, User};
use crate::rbac::permissions::USERS_MANAGE;
use crate::services::Services;
use crate::store::Counted;
use time::{Date, Duration, Month, OffsetDateTime, Time};

/// Days the activity figures cover, today included.
pub const ACTIVITY_DAYS: i64 = 14;
/// Newest users the administrator's figures list.
pub const LATEST_REGISTRATIONS: i64 = 7;
/// Days the sign-in figures cover, today included.
pub const SIGN_IN_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq)]
pub enum Stats {
    Admin(AdminStats),
    /// Activity-log entries per day, oldest day first.
    Activity(Vec<(Date, i64)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct AdminStats {
    /// Registrations in each month of the current year, January first.
    pub users_per_month: Vec<(Month, i64)>,
    pub total: i64,
    /// Registered this month.
    pub new: i64,
    pub banned: i64,
    pub unconfirmed: i64,
    pub latest_registrations: Vec<User>,
    /// Sign-ins (sessions begun) on each of the last [`SIGN_IN_DAYS`] days, oldest first.
    pub sign_ins_per_day: Vec<(Date, i64)>,
}

fn midnight(date: Date) -> OffsetDateTime {
    date.with_time(Time::MIDNIGHT).assume_utc()
}

/// The first instant of each month of `year`, and of the next year: 13 bounds.
fn month_bounds(year: i32) -> Vec<OffsetDateTime> {
    let mut bounds: Vec<OffsetDateTime> = (1..=12u8)
        .filter_map(|m| Month::try_from(m).ok())
        .filter_map(|m| Date::from_calendar_date(year, m, 1).ok())
        .map(midnight)
        .collect();
    bounds.extend(Date::from_calendar_date(year + 1, Month::January, 1).map(midnight));
    bounds
}

/// Midnight of each of the last `days` days (today last), and of tomorrow.
fn day_bounds(today: Date, days: i64) -> Vec<OffsetDateTime> {
    let first = midnight(today) - Duration::days(days - 1);
    (0..=days).map(|d| first + Duration::days(d)).collect()
}

impl Services {
    pub async fn dashboard_stats(&self, principal: &Principal) -> Result<Stats> {
        self.authorize(principal, Action::ViewStats).await?;
        let today = self.now().to_offset(time::UtcOffset::UTC).date();
        let tenant = &principal.tenant_id;
        if !self.holds(principal, USERS_MANAGE).await? {
            let bounds = day_bounds(today, ACTIVITY_DAYS);
            let counts = self
                .store
                .count_in_windows(
                    Counted::Activities,
                    tenant,
                    Some(principal.user.id),
                    &bounds,
                )
                .await?;
            let days = bounds.iter().map(|b| b.date());
            return Ok(Stats::Activity(days.zip(counts).collect()));
        }
        let bounds = month_bounds(today.year());
        let per_month = self
            .store
            .count_in_windows(Counted::Registrations, tenant, None, &bounds)
            .await?;
        let month_start = today
            .replace_day(1)
            .map(midnight)
            .unwrap_or_else(|_| midnight(today));
        let counts = self.store.status_counts(tenant, month_start).await?;
        let days = day_bounds(today, SIGN_IN_DAYS);
        let sign_ins = self
            .store
            .count_in_windows(Counted::SignIns, tenant, None, &days)
            .await?;
        let (latest, _) = self
            .store
            .list_users(
                tenant,
                &Default::default(),
                Paging::new(Some(1), Some(LATEST_REGISTRATIONS)),
            )
            .await?;
        Ok(Stats::Admin(AdminStats {
            users_per_month: bounds.iter().map(|b| b.month()).zip(per_month).collect(),
            total: counts.total,
            new: counts.new,
            banned: counts.banned,
            unconfirmed: if principal.settings.allow_unverified {
                0
            } else {
                counts.unverified
            },
            latest_registrations: latest,
            sign_ins_per_day: days.iter().map(|b| b.date()).zip(sign_ins).collect(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn months_cover_the_year_and_days_end_tomorrow() {
        let months = month_bounds(2026);
        assert_eq!(months.len(), 13);
        assert_eq!(months[0].date(), date!(2026 - 01 - 01));
        assert_eq!(months[12].date(), date!(2027 - 01 - 01));
        let days = day_bounds(date!(2026 - 03 - 01), 14);
        assert_eq!(days.len(), 15);
        assert_eq!(days[0].date(), date!(2026 - 02 - 16));
        assert_eq!(days[13].date(), date!(2026 - 03 - 01));
        assert_eq!(days[14].date(), date!(2026 - 03 - 02));
    }
}
