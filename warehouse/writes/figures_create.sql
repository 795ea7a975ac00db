-- A materialised figure table built whole from its view (warehouse/figures.py).
CREATE OR REPLACE TABLE figures.{name} AS SELECT * FROM {name}
