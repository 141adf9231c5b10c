//! Group commit on SQLite. There is one writer connection, so concurrent writes of the
//! same kind (ticket creates, chat messages) would queue for it one transaction each;
//! instead they queue here, and one task writes whatever has gathered while the previous
//! batch committed as one transaction. Each caller gets its own item's result once that
//! transaction commits.
//!
//! No timer: an item arriving at an idle writer is written at once, alone. PostgreSQL
//! takes many writers and does not use this.

use std::future::Future;
use tokio::sync::{mpsc, oneshot};

/// Items that may wait for the writer before callers wait to enqueue.
const QUEUE_DEPTH: usize = 1024;

struct Request<I, O> {
    item: I,
    reply: oneshot::Sender<O>,
}

/// The sending side, held by every clone of the [`crate::Db`]; the writer task ends when
/// the last clone is dropped.
pub(crate) struct GroupCommit<I, O> {
    tx: mpsc::Sender<Request<I, O>>,
}

impl<I, O> Clone for GroupCommit<I, O> {
    fn clone(&self) -> Self {
        GroupCommit {
            tx: self.tx.clone(),
        }
    }
}

impl<I, O> std::fmt::Debug for GroupCommit<I, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit").finish_non_exhaustive()
    }
}

impl<I: Send + 'static, O: Send + 'static> GroupCommit<I, O> {
    /// Starts the writer task on the current runtime. `write` takes up to `max_batch`
    /// items and returns one result per item, in order. What it captures must not hold
    /// this queue (the task would keep its own channel open).
    pub(crate) fn spawn<F, Fut>(max_batch: usize, write: F) -> Self
    where
        F: Fn(Vec<I>) -> Fut + Send + 'static,
        Fut: Future<Output = Vec<O>> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(write_batches(rx, max_batch, write));
        GroupCommit { tx }
    }

    /// Queues one item and waits for its transaction to commit. `Err` gives the item
    /// back when the writer task is gone (its runtime shut down) or dropped the request;
    /// the caller then writes it directly.
    pub(crate) async fn submit(&self, item: I) -> Result<O, Option<I>> {
        let (reply, answer) = oneshot::channel();
        if let Err(mpsc::error::SendError(request)) = self.tx.send(Request { item, reply }).await {
            return Err(Some(request.item));
        }
        answer.await.map_err(|_| None)
    }
}

async fn write_batches<I, O, F, Fut>(mut rx: mpsc::Receiver<Request<I, O>>, max: usize, write: F)
where
    F: Fn(Vec<I>) -> Fut,
    Fut: Future<Output = Vec<O>>,
{
    let mut batch = Vec::with_capacity(max);
    while rx.recv_many(&mut batch, max).await > 0 {
        let (items, replies): (Vec<I>, Vec<_>) = batch.drain(..).map(|r| (r.item, r.reply)).unzip();
        let results = write(items).await;
        for (reply, result) in replies.into_iter().zip(results) {
            // The caller may have gone (a dropped request); the write stands regardless.
            let _ = reply.send(result);
        }
    }
}
