//! What a committed change to a conversation means for the rest of Baton: the name its live
//! notice carries, and whether it queued callbacks (wake the delivery worker) or changed who
//! can take what (wake the router). One table, so no caller spells an event name or forgets a
//! wake-up.

/// A change to one conversation, announced after its transaction committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A takeover was requested.
    Takeover,
    /// A reviewer claimed it.
    Claimed,
    /// A turn or a reply was recorded.
    Message,
    /// A private note was added.
    Note,
    /// It moved to another reviewer or team.
    Transferred,
    /// Its reviewer let it go back to the queue.
    Released,
    /// It was handed back to the AI.
    HandedBack,
    /// It was closed.
    Closed,
    /// An approval was decided.
    Decided,
    /// Automatic assignment offered it to a reviewer.
    Offered,
    /// An offer lapsed and it went back to the queue.
    OfferLapsed,
    /// The customer was told their new place in the queue.
    QueueUpdated,
}

impl Change {
    /// The `kind` of the live notice (the inbox's event stream shows it).
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Takeover => "takeover",
            Change::Claimed => "claimed",
            Change::Message => "message",
            Change::Note => "note",
            Change::Transferred => "transferred",
            Change::Released => "released",
            Change::HandedBack => "handed_back",
            Change::Closed => "closed",
            Change::Decided => "decided",
            Change::Offered => "offered",
            Change::OfferLapsed => "offer_lapsed",
            Change::QueueUpdated => "queue_updated",
        }
    }

    /// Did the transaction queue callbacks for the delivery worker? (A reply's callback is
    /// handed to the worker directly, so `Message` does not.)
    pub fn queues_callbacks(self) -> bool {
        matches!(
            self,
            Change::Takeover
                | Change::Claimed
                | Change::Released
                | Change::HandedBack
                | Change::Closed
                | Change::Decided
                | Change::QueueUpdated
        )
    }

    /// Did it change which conversations wait and who holds what, so the router must look again?
    pub fn frees_or_fills_a_seat(self) -> bool {
        matches!(
            self,
            Change::Takeover
                | Change::Claimed
                | Change::Transferred
                | Change::Released
                | Change::HandedBack
                | Change::Closed
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Change;

    #[test]
    fn a_claim_wakes_the_worker_and_the_router_and_a_note_wakes_neither() {
        assert!(Change::Claimed.queues_callbacks() && Change::Claimed.frees_or_fills_a_seat());
        assert!(!Change::Note.queues_callbacks() && !Change::Note.frees_or_fills_a_seat());
        assert_eq!(Change::HandedBack.as_str(), "handed_back");
        assert_eq!(Change::OfferLapsed.as_str(), "offer_lapsed");
    }
}
