-- Those countries' rows again, from the view (which sees only their rows while refreshing).
INSERT INTO figures.{name} BY NAME SELECT * FROM {name}
