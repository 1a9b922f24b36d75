"""The coach studio: pages for authoring rules and reviewing plans (served at /studio)."""
