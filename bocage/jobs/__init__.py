"""The one durable queue: jobs live in the database, beside the changes that cause them."""
