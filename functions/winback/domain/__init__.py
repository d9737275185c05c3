"""The business steps of each flow: orders, carts, purchases, recovery, coupons, sending."""
