//! The change bus's messages as they travel in a `NOTIFY` payload (text, one per payload):
//! a batch of changes, an acknowledgement of one, and a process saying it is there or gone.

use std::collections::BTreeSet;

/// `NOTIFY` payloads must stay under 8000 bytes.
const PAYLOAD_MAX: usize = 7000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<'a> {
    /// Changes (`kind`, `commune`) made by `from`, the last of them numbered `seq` there.
    Changes {
        from: &'a str,
        seq: u64,
        changes: Vec<(&'a str, &'a str)>,
    },
    /// `from` has applied `to`'s changes up to `seq`.
    Ack {
        from: &'a str,
        to: &'a str,
        seq: u64,
    },
    /// `from` is serving (sent at start and every few seconds).
    Hello { from: &'a str },
    /// `from` is stopping.
    Bye { from: &'a str },
}

impl<'a> Message<'a> {
    pub fn from(&self) -> &'a str {
        match self {
            Message::Changes { from, .. }
            | Message::Ack { from, .. }
            | Message::Hello { from }
            | Message::Bye { from } => from,
        }
    }

    pub fn parse(payload: &'a str) -> Option<Message<'a>> {
        let mut lines = payload.split('\n');
        let head: Vec<&str> = lines.next()?.split('\t').collect();
        match head[..] {
            ["C", from, seq] => Some(Message::Changes {
                from,
                seq: seq.parse().ok()?,
                changes: lines.filter_map(|l| l.split_once('\t')).collect(),
            }),
            ["A", from, to, seq] => Some(Message::Ack {
                from,
                to,
                seq: seq.parse().ok()?,
            }),
            ["H", from] => Some(Message::Hello { from }),
            ["B", from] => Some(Message::Bye { from }),
            _ => None,
        }
    }

    /// The payload of a message other than `Changes` (those go through [`changes`]).
    pub fn encode(&self) -> String {
        match self {
            Message::Changes { from, seq, changes } => changes_payloads(from, *seq, changes)
                .into_iter()
                .next()
                .unwrap_or_default(),
            Message::Ack { from, to, seq } => format!("A\t{from}\t{to}\t{seq}"),
            Message::Hello { from } => format!("H\t{from}"),
            Message::Bye { from } => format!("B\t{from}"),
        }
    }
}

/// The payloads for a batch of changes (`kind`, `commune`) numbered up to `seq`: without
/// repeats, split to stay under the payload limit. Only the last payload carries `seq` (the
/// others 0): a process acknowledges `seq` once it has applied the whole batch.
pub fn changes_payloads(from: &str, seq: u64, changes: &[(&str, &str)]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut bodies = vec![];
    let mut body = String::new();
    for (kind, commune) in changes {
        if !seen.insert((kind, commune)) {
            continue;
        }
        let line = format!("\n{kind}\t{commune}");
        if !body.is_empty() && body.len() + line.len() + 64 > PAYLOAD_MAX {
            bodies.push(std::mem::take(&mut body));
        }
        body.push_str(&line);
    }
    bodies.push(body);
    let last = bodies.len() - 1;
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let n = if i == last { seq } else { 0 };
            format!("C\t{from}\t{n}{body}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_one_message_without_repeats() {
        let batch = [
            ("feedback", "17071"),
            ("feedback", "17071"),
            ("accounts", ""),
        ];
        let msgs = changes_payloads("me", 9, &batch);
        assert_eq!(
            msgs,
            vec!["C\tme\t9\nfeedback\t17071\naccounts\t".to_owned()]
        );
        assert_eq!(
            Message::parse(&msgs[0]),
            Some(Message::Changes {
                from: "me",
                seq: 9,
                changes: vec![("feedback", "17071"), ("accounts", "")]
            })
        );
    }

    #[test]
    fn a_long_batch_is_split_under_the_payload_limit() {
        let codes: Vec<String> = (0..2000).map(|i| format!("{i:05}")).collect();
        let batch: Vec<(&str, &str)> = codes.iter().map(|c| ("dossiers", c.as_str())).collect();
        let msgs = changes_payloads("me", 2000, &batch);
        assert!(msgs.len() > 1);
        let seqs: Vec<u64> = msgs
            .iter()
            .map(|m| match Message::parse(m) {
                Some(Message::Changes { seq, .. }) => seq,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(seqs.last(), Some(&2000), "the last part carries the number");
        assert!(
            seqs[..seqs.len() - 1].iter().all(|s| *s == 0),
            "no part acknowledges the batch before the last: {seqs:?}"
        );
        let heard: usize = msgs
            .iter()
            .map(|m| {
                assert!(m.len() <= PAYLOAD_MAX);
                match Message::parse(m) {
                    Some(Message::Changes { changes, .. }) => changes.len(),
                    other => panic!("{other:?}"),
                }
            })
            .sum();
        assert_eq!(heard, 2000);
    }

    #[test]
    fn other_messages_round_trip_and_noise_is_ignored() {
        for m in [
            Message::Ack {
                from: "b",
                to: "a",
                seq: 41,
            },
            Message::Hello { from: "b" },
            Message::Bye { from: "b" },
        ] {
            assert_eq!(Message::parse(&m.encode()), Some(m.clone()));
        }
        assert_eq!(Message::parse("A\tb\ta\tforty"), None);
        assert_eq!(Message::parse("hello"), None);
    }
}
