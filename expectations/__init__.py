"""Great Expectations suites, one JSON file per canonical table, and their runner."""
