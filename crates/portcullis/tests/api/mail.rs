//! Mail over real SMTP: a failed delivery is kept, recorded and retried later.

use crate::harness::{token_after, TestServer, PASSWORD};
use serde_json::json;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A minimal SMTP server that accepts every message and keeps its data.
struct SmtpSink {
    received: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    async fn start(listener: TcpListener) -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = Arc::clone(&received);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                    while let Ok(Some(line)) = lines.next_line().await {
                        let verb = line.split_whitespace().next().unwrap_or("").to_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" | "HELO" => b"250-sink\r\n250 8BITMIME\r\n",
                            "DATA" => {
                                let _ = write.write_all(b"354 end with .\r\n").await;
                                let mut data = String::new();
                                while let Ok(Some(line)) = lines.next_line().await {
                                    if line == "." {
                                        break;
                                    }
                                    data.push_str(&line);
                                    data.push_str("\r\n");
                                }
                                store.lock().unwrap().push(data);
                                b"250 queued\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                break;
                            }
                            _ => b"250 ok\r\n",
                        };
                        if write.write_all(reply).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        Self { received }
    }

    fn messages(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }
}

#[derive(Debug, sqlx::FromRow, PartialEq)]
struct QueueRow {
    attempts: i64,
    last_error: Option<String>,
    sent: i64,
}

async fn queue(server: &TestServer) -> Vec<QueueRow> {
    let db = server.inspect().await;
    let rows = sqlx::query_as(
        "SELECT attempts, last_error, CASE WHEN sent_at IS NULL THEN 0 ELSE 1 END AS sent \
         FROM mail_queue ORDER BY id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    db.close().await;
    rows
}

#[tokio::test]
async fn a_failed_delivery_is_kept_and_retried_over_smtp() {
    for backend in crate::harness::backends() {
        // A port with nothing behind it yet.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = TestServer::start_with(&backend, |config| {
            config.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
            config.mail_from = "Acme <no-reply@acme.test>".to_owned();
        })
        .await;
        server.set_settings(|s| s.allow_unverified = false).await;
        let body = json!({
            "username": "smtp", "email": "smtp@example.com",
            "password": PASSWORD, "password_confirmation": PASSWORD,
        });
        assert_eq!(server.post("/api/register", body).await.0, 201);

        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        let failed = loop {
            let rows = queue(&server).await;
            if rows.first().is_some_and(|r| r.attempts == 1) {
                break rows;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no attempt: {rows:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].sent, 0);
        assert!(failed[0].last_error.is_some(), "{failed:?}");

        // Not due again yet: nothing is sent, even with a server now listening.
        let sink = SmtpSink::start(TcpListener::bind(("127.0.0.1", port)).await.unwrap()).await;
        let worker = server.app.services.mail_worker().expect("a worker");
        assert_eq!(worker.deliver_due().await, 0);
        server.clock.advance(time::Duration::minutes(2));
        assert_eq!(worker.deliver_due().await, 1);
        let rows = queue(&server).await;
        assert_eq!(
            rows,
            vec![QueueRow {
                attempts: 2,
                last_error: None,
                sent: 1
            }]
        );
        let messages = sink.messages();
        assert_eq!(messages.len(), 1);
        let message = crate::harness::decode_eml(&messages[0]);
        assert!(
            message.contains("From: Acme <no-reply@acme.test>"),
            "{message}"
        );
        let token = token_after(&message, "/api/registration/verify-email/");
        let path = format!("/api/registration/verify-email/{token}");
        assert_eq!(server.post(&path, json!({})).await.0, 200);
        server.stop().await;
    }
}
