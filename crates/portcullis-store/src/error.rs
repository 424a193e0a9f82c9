use portcullis_core::{Constraint, StoreError};

/// Maps a driver error into the domain's store error; unique violations become conflicts
/// naming the constraint (see [`constraint`]), so services can tell which field was taken.
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(constraint(db.constraint().unwrap_or_else(|| db.message())))
        }
        // 22021: a NUL byte in text (character_not_in_repertoire); 22P05: untranslatable.
        sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("22021" | "22P05")) => {
            StoreError::UnstorableText(db.message().to_owned())
        }
        // A busy or closed pool: another try would only add to the queue.
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => {
            StoreError::Unavailable(error.to_string())
        }
        sqlx::Error::Io(_) => {
            portcullis_core::store::note_connection_lost();
            StoreError::Unavailable(error.to_string())
        }
        // The server ended the connection (57P01 admin shutdown, as `pg_terminate_backend`
        // or a failover does; 57P02 crash; 57P03 starting up) or lost it (class 08): the
        // database is away for a moment, not the request at fault.
        sqlx::Error::Database(db)
            if db.code().is_some_and(|code| {
                matches!(&*code, "57P01" | "57P02" | "57P03") || code.starts_with("08")
            }) =>
        {
            portcullis_core::store::note_connection_lost();
            StoreError::Unavailable(error.to_string())
        }
        _ => StoreError::Other(error.to_string()),
    }
}

/// The unique constraint a backend reported: PostgreSQL by the constraint's (or unique
/// index's) name, SQLite, which names none, by its message's `table.column, …` list (or
/// `index '<name>'` for an index on expressions). The one place either report is read.
pub(crate) fn constraint(reported: &str) -> Constraint {
    let what = reported
        .strip_prefix("UNIQUE constraint failed: ")
        .unwrap_or(reported);
    match what {
        "tenants_name_key" | "tenants.name" => Constraint::TenantName,
        "tenants_domain_key" | "tenants.domain" => Constraint::TenantDomain,
        "users_tenant_email" | "index 'users_tenant_email'" => Constraint::UserEmail,
        "users_tenant_username" | "index 'users_tenant_username'" => Constraint::UserUsername,
        "roles_tenant_id_name_key" | "roles.tenant_id, roles.name" => Constraint::RoleName,
        "permissions_tenant_id_name_key" | "permissions.tenant_id, permissions.name" => {
            Constraint::PermissionName
        }
        "scopes_tenant_id_name_key" | "scopes.tenant_id, scopes.name" => Constraint::ScopeName,
        "passkeys_tenant_credential" | "passkeys.tenant_id, passkeys.credential_id" => {
            Constraint::PasskeyCredential
        }
        _ => Constraint::Other(reported.to_owned()),
    }
}

pub(crate) type Result<T> = std::result::Result<T, StoreError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_reports_name_the_same_constraint() {
        let cases = [
            ("tenants_name_key", "tenants.name", Constraint::TenantName),
            (
                "tenants_domain_key",
                "tenants.domain",
                Constraint::TenantDomain,
            ),
            (
                "users_tenant_email",
                "index 'users_tenant_email'",
                Constraint::UserEmail,
            ),
            (
                "users_tenant_username",
                "index 'users_tenant_username'",
                Constraint::UserUsername,
            ),
            (
                "roles_tenant_id_name_key",
                "roles.tenant_id, roles.name",
                Constraint::RoleName,
            ),
            (
                "permissions_tenant_id_name_key",
                "permissions.tenant_id, permissions.name",
                Constraint::PermissionName,
            ),
            (
                "scopes_tenant_id_name_key",
                "scopes.tenant_id, scopes.name",
                Constraint::ScopeName,
            ),
            (
                "passkeys_tenant_credential",
                "passkeys.tenant_id, passkeys.credential_id",
                Constraint::PasskeyCredential,
            ),
        ];
        for (postgres, sqlite, expected) in cases {
            assert_eq!(constraint(postgres), expected, "{postgres}");
            let message = format!("UNIQUE constraint failed: {sqlite}");
            assert_eq!(constraint(&message), expected, "{message}");
        }
    }

    #[test]
    fn other_constraints_keep_what_the_database_said() {
        assert_eq!(
            constraint("UNIQUE constraint failed: users.uid"),
            Constraint::Other("UNIQUE constraint failed: users.uid".to_owned())
        );
        assert_eq!(
            constraint("users_uid_key"),
            Constraint::Other("users_uid_key".to_owned())
        );
        // Not fooled by a name that merely contains a known one.
        assert_eq!(
            constraint("tenants_name_key_old"),
            Constraint::Other("tenants_name_key_old".to_owned())
        );
    }
}
