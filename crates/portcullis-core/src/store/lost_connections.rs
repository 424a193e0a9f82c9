//! Whether the database ended a connection while a piece of work ran. A request that only
//! reads can then be run once more on a fresh connection, rather than answering 503 for a
//! failover or a restart it merely happened to meet.

use std::cell::Cell;
use std::future::Future;

tokio::task_local! {
    static LOST: Cell<bool>;
}

/// Records that the database ended a connection under the work being watched; outside
/// [`watching_connections`] (a background task, say) nobody is asking, and nothing happens.
pub fn note_connection_lost() {
    let _ = LOST.try_with(|lost| lost.set(true));
}

/// Runs `work`, and says whether the database ended a connection under it. Only work run on
/// this task is seen, which is all a request's handler does.
pub async fn watching_connections<F: Future>(work: F) -> (F::Output, bool) {
    LOST.scope(Cell::new(false), async {
        let output = work.await;
        (output, LOST.with(Cell::get))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_the_watched_work_is_seen() {
        note_connection_lost();
        let ((), lost) = watching_connections(async {}).await;
        assert!(!lost);
        let ((), lost) = watching_connections(async { note_connection_lost() }).await;
        assert!(lost);
    }
}
