"""Deliveries: signed pushes of published packs to CMS destinations, and notices to wards about their queues."""
