"""Shop connectors: Shopify, WooCommerce and Stripe webhooks in, verified, mapped.

`signatures` checks each platform's signature on the raw body; `shopify`,
`woocommerce` and `stripe` turn one verified delivery into winback's own events (the
contract of docs/events.md), or reject it with a reason. Pure Python: no AWS here.
"""
