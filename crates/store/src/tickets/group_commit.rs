//! Group commit for ticket creation on SQLite. There is one writer connection, so
//! concurrent creates would queue for it one transaction each; instead they queue here,
//! and one task writes whatever has gathered while the previous batch committed as one
//! transaction ([`Db::create_tickets`]: one statement per table for the whole batch). Each
//! caller gets its own ticket's result once that transaction commits.
//!
//! No timer: a create arriving at an idle writer is written at once, alone. PostgreSQL
//! takes many writers and does not use this.

use super::create::{Opened, TicketToOpen};
use crate::{Db, StoreError};
use tokio::sync::{mpsc, oneshot};

/// The most tickets one transaction takes.
const MAX_BATCH: usize = 64;
/// Creates that may wait for the writer before callers wait to enqueue.
const QUEUE_DEPTH: usize = 1024;

struct Request {
    item: TicketToOpen,
    reply: oneshot::Sender<Opened>,
}

/// The sending side, held by every clone of the [`Db`]; the writer task ends when the
/// last clone is dropped.
#[derive(Debug, Clone)]
pub(crate) struct CreateQueue {
    tx: mpsc::Sender<Request>,
}

impl CreateQueue {
    /// Starts the writer task on the current runtime. `db` must not carry a queue itself
    /// (the task would keep its own channel open).
    pub(crate) fn spawn(db: Db) -> Self {
        debug_assert!(db.ticket_queue.is_none());
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(write_batches(db, rx));
        CreateQueue { tx }
    }

    /// Queues one create and waits for its transaction to commit. If the writer task is
    /// gone (its runtime shut down), writes directly through `db`.
    pub(crate) async fn create(&self, db: &Db, item: TicketToOpen) -> Opened {
        let (reply, answer) = oneshot::channel();
        if let Err(mpsc::error::SendError(request)) = self.tx.send(Request { item, reply }).await {
            return db.create_tickets(&[request.item]).await.remove(0);
        }
        answer
            .await
            .unwrap_or(Err(StoreError::Database(sqlx::Error::WorkerCrashed)))
    }
}

async fn write_batches(db: Db, mut rx: mpsc::Receiver<Request>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (items, replies): (Vec<TicketToOpen>, Vec<_>) =
            batch.drain(..).map(|r| (r.item, r.reply)).unzip();
        let results = db.create_tickets(&items).await;
        for (reply, result) in replies.into_iter().zip(results) {
            // The caller may have gone (a dropped request); the ticket stands regardless.
            let _ = reply.send(result);
        }
    }
}
