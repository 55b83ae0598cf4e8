"""Sample recipe site shipped for `ray-import demo` and the tests; no Ray imports."""
