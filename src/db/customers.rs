//! Who each customer is: the attributes the workflow last sent with a takeover
//! (`domain::takeover::Customer`), one row per conversation, and the conversation's takeovers
//! the inbox's customer panel counts.

use diesel::prelude::*;

use super::models::TakeoverRow;
use super::schema::{session_customers, takeovers};
use super::{now, DbConnection};
use crate::domain::takeover::Customer;
use crate::error::ApiError;

/// Stores (or replaces) the customer of a conversation.
pub fn set(conn: &mut DbConnection, session_id: &str, customer: &Customer) -> Result<(), ApiError> {
    diesel::delete(session_customers::table.filter(session_customers::session_id.eq(session_id)))
        .execute(conn)?;
    diesel::insert_into(session_customers::table)
        .values((
            session_customers::session_id.eq(session_id),
            session_customers::attributes.eq(customer.to_stored()),
            session_customers::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The customer of a conversation, if the workflow described them.
pub fn get(conn: &mut DbConnection, session_id: &str) -> Result<Option<Customer>, ApiError> {
    let raw: Option<String> = session_customers::table
        .filter(session_customers::session_id.eq(session_id))
        .select(session_customers::attributes)
        .first(conn)
        .optional()?;
    Ok(raw.as_deref().map(Customer::from_stored))
}

/// Every takeover of a conversation, oldest first.
pub fn takeovers_of(
    conn: &mut DbConnection,
    session_id: &str,
) -> Result<Vec<TakeoverRow>, ApiError> {
    Ok(takeovers::table
        .filter(takeovers::session_id.eq(session_id))
        .order(takeovers::created_at.asc())
        .limit(200)
        .load(conn)?)
}
