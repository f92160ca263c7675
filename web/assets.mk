# Front-end assets (included by the top-level Makefile). The built files are committed, so the
# Python services run without node; rebuild them after changing web/ or its dependencies.
#   make assets   ->  npm ci + esbuild: map-feed's widget and submission's DSFR vendor files
WEB_DIR ?= web

.PHONY: assets assets-deps

$(WEB_DIR)/node_modules/.package-lock.json: $(WEB_DIR)/package.json $(WEB_DIR)/package-lock.json
	cd $(WEB_DIR) && npm ci --no-audit --no-fund

assets-deps: $(WEB_DIR)/node_modules/.package-lock.json

assets: assets-deps
	cd $(WEB_DIR) && npm run --silent build
