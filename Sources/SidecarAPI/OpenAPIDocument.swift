/// The API's OpenAPI 3.1 document, served at `GET /openapi.json`. `docs/openapi.json` is the same
/// text (a test checks they match); schemathesis fuzzes every operation against it in `make test`.
enum OpenAPIDocument {
    static let json = #"""
{
 "openapi": "3.1.0",
 "info": {
  "title": "SessionMesh sidecar API",
  "version": "1.0.0",
  "description": "The per-host sidecar's HTTP/1.1 + JSON API on its Unix socket (and the loopback admin port): sessions, sealed cookie tokens, idempotency keys, the mesh, routing, load, health. Every error is {\"error\":{\"code\",\"message\"}}; 503 carries Retry-After."
 },
 "paths": {
  "/v1/sessions": {
   "post": {
    "summary": "Create a session",
    "operationId": "createSession",
    "responses": {
     "201": {
      "description": "created",
      "headers": {
       "ETag": {
        "schema": {
         "type": "string"
        }
       }
      },
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Session"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "421": {
      "$ref": "#/components/responses/Error"
     },
     "422": {
      "$ref": "#/components/responses/Error"
     },
     "501": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "data": {
          "type": "object"
         },
         "idleTimeout": {
          "type": "integer",
          "minimum": 1,
          "maximum": 900
         },
         "absoluteTimeout": {
          "type": "integer",
          "minimum": 1,
          "maximum": 28800
         }
        }
       }
      }
     }
    }
   }
  },
  "/v1/sessions/{id}": {
   "get": {
    "summary": "Read a session (counts as activity)",
    "operationId": "readSession",
    "responses": {
     "200": {
      "description": "the session",
      "headers": {
       "ETag": {
        "schema": {
         "type": "string"
        }
       }
      },
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Session"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "421": {
      "$ref": "#/components/responses/Error"
     },
     "501": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "description": "43 base64url characters (256 random bits)",
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$"
      }
     }
    ]
   },
   "put": {
    "summary": "Replace data if the version matches",
    "operationId": "replaceSession",
    "responses": {
     "200": {
      "description": "replaced",
      "headers": {
       "ETag": {
        "schema": {
         "type": "string"
        }
       }
      },
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Session"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "409": {
      "$ref": "#/components/responses/Error"
     },
     "412": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "421": {
      "$ref": "#/components/responses/Error"
     },
     "422": {
      "$ref": "#/components/responses/Error"
     },
     "428": {
      "$ref": "#/components/responses/Error"
     },
     "501": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "data"
        ],
        "properties": {
         "data": {
          "type": "object"
         }
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "description": "43 base64url characters (256 random bits)",
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$"
      }
     },
     {
      "name": "If-Match",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "an ETag such as \"3\", or *"
     }
    ]
   },
   "patch": {
    "summary": "RFC 7396 merge patch of data",
    "operationId": "patchSession",
    "responses": {
     "200": {
      "description": "patched",
      "headers": {
       "ETag": {
        "schema": {
         "type": "string"
        }
       }
      },
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Session"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "409": {
      "$ref": "#/components/responses/Error"
     },
     "412": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "421": {
      "$ref": "#/components/responses/Error"
     },
     "422": {
      "$ref": "#/components/responses/Error"
     },
     "501": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/merge-patch+json": {
       "schema": {
        "type": "object"
       }
      }
     }
    },
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "description": "43 base64url characters (256 random bits)",
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$"
      }
     },
     {
      "name": "If-Match",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "an ETag such as \"3\", or *"
     }
    ]
   },
   "delete": {
    "summary": "Logout: a tombstone",
    "operationId": "deleteSession",
    "responses": {
     "204": {
      "description": "deleted"
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "409": {
      "$ref": "#/components/responses/Error"
     },
     "412": {
      "$ref": "#/components/responses/Error"
     },
     "421": {
      "$ref": "#/components/responses/Error"
     },
     "501": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "description": "43 base64url characters (256 random bits)",
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$"
      }
     },
     {
      "name": "If-Match",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "an ETag such as \"3\", or *"
     }
    ]
   }
  },
  "/v1/sessions/{id}/rotate": {
   "post": {
    "summary": "New id, same data; the old id is logged out",
    "operationId": "rotateSession",
    "responses": {
     "201": {
      "description": "rotated",
      "headers": {
       "ETag": {
        "schema": {
         "type": "string"
        }
       }
      },
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Session"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "409": {
      "$ref": "#/components/responses/Error"
     },
     "421": {
      "$ref": "#/components/responses/Error"
     },
     "501": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "description": "43 base64url characters (256 random bits)",
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$"
      }
     }
    ]
   }
  },
  "/v1/tokens": {
   "post": {
    "summary": "Issue a sealed cookie token",
    "operationId": "issueToken",
    "responses": {
     "201": {
      "description": "issued",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "token",
          "id",
          "issuedAt",
          "expiresAt"
         ],
         "properties": {
          "token": {
           "type": "string"
          },
          "id": {
           "type": "string"
          },
          "issuedAt": {
           "type": "string"
          },
          "expiresAt": {
           "type": "string"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "421": {
      "$ref": "#/components/responses/Error"
     },
     "422": {
      "$ref": "#/components/responses/Error"
     },
     "501": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "data",
         "ttl"
        ],
        "properties": {
         "data": {
          "type": "object"
         },
         "ttl": {
          "type": "integer",
          "minimum": 1,
          "maximum": 28800
         }
        }
       }
      }
     }
    }
   }
  },
  "/v1/tokens/open": {
   "post": {
    "summary": "Open a token (revocation checked)",
    "operationId": "openToken",
    "responses": {
     "200": {
      "description": "its contents",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "id",
          "issuedAt",
          "expiresAt"
         ],
         "properties": {
          "data": {
           "type": "object"
          },
          "id": {
           "type": "string"
          },
          "issuedAt": {
           "type": "string"
          },
          "expiresAt": {
           "type": "string"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "421": {
      "$ref": "#/components/responses/Error"
     },
     "422": {
      "$ref": "#/components/responses/Error"
     },
     "501": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "token"
        ],
        "properties": {
         "token": {
          "type": "string"
         }
        }
       }
      }
     }
    }
   }
  },
  "/v1/tokens/revoke": {
   "post": {
    "summary": "Revoke a token everywhere until its expiry",
    "operationId": "revokeToken",
    "responses": {
     "204": {
      "description": "revoked"
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "409": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "421": {
      "$ref": "#/components/responses/Error"
     },
     "422": {
      "$ref": "#/components/responses/Error"
     },
     "501": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "token"
        ],
        "properties": {
         "token": {
          "type": "string"
         }
        }
       }
      }
     }
    }
   }
  },
  "/v1/tokens/refresh": {
   "post": {
    "summary": "New token, same data and lifetime; the old one revoked",
    "operationId": "refreshToken",
    "responses": {
     "201": {
      "description": "issued",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "token",
          "id",
          "issuedAt",
          "expiresAt"
         ],
         "properties": {
          "token": {
           "type": "string"
          },
          "id": {
           "type": "string"
          },
          "issuedAt": {
           "type": "string"
          },
          "expiresAt": {
           "type": "string"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "409": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "421": {
      "$ref": "#/components/responses/Error"
     },
     "422": {
      "$ref": "#/components/responses/Error"
     },
     "501": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "token"
        ],
        "properties": {
         "token": {
          "type": "string"
         }
        }
       }
      }
     }
    }
   }
  },
  "/v1/idempotency/{key}": {
   "post": {
    "summary": "Reserve an idempotency key",
    "operationId": "reserveIdempotencyKey",
    "responses": {
     "201": {
      "description": "reserved: run the request, then complete with this fence",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "state",
          "fence"
         ],
         "properties": {
          "state": {
           "const": "started"
          },
          "fence": {
           "type": "integer"
          },
          "leaseExpiresAt": {
           "type": "string"
          }
         }
        }
       }
      }
     },
     "200": {
      "description": "completed before: replay the stored response",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "state",
          "response"
         ],
         "properties": {
          "state": {
           "const": "completed"
          },
          "response": {
           "$ref": "#/components/schemas/StoredResponse"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "409": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "421": {
      "$ref": "#/components/responses/Error"
     },
     "422": {
      "$ref": "#/components/responses/Error"
     },
     "501": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "fingerprint"
        ],
        "properties": {
         "fingerprint": {
          "type": "string"
         },
         "leaseSeconds": {
          "type": "integer",
          "minimum": 1,
          "maximum": 3600
         }
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "key",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "maxLength": 255,
       "pattern": "^[A-Za-z0-9._~!$&'()*+,;=:@-]{1,255}$"
      },
      "description": "1 to 255 of A-Z a-z 0-9 -._~!$&'()*+,;=:@"
     }
    ]
   },
   "put": {
    "summary": "Complete: store the response under the holder's fence",
    "operationId": "completeIdempotencyKey",
    "responses": {
     "204": {
      "description": "stored"
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "409": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "421": {
      "$ref": "#/components/responses/Error"
     },
     "422": {
      "$ref": "#/components/responses/Error"
     },
     "501": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "fence",
         "status"
        ],
        "properties": {
         "fence": {
          "type": "integer",
          "minimum": 0
         },
         "status": {
          "type": "integer",
          "minimum": 100,
          "maximum": 599
         },
         "headers": {
          "type": "object",
          "additionalProperties": {
           "type": "string"
          }
         },
         "body": {
          "type": "string"
         }
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "key",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "maxLength": 255,
       "pattern": "^[A-Za-z0-9._~!$&'()*+,;=:@-]{1,255}$"
      },
      "description": "1 to 255 of A-Z a-z 0-9 -._~!$&'()*+,;=:@"
     }
    ]
   }
  },
  "/v1/mesh": {
   "get": {
    "summary": "Members, status, load, weights, T̄ and S̄",
    "operationId": "mesh",
    "responses": {
     "200": {
      "description": "the mesh view",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "421": {
      "$ref": "#/components/responses/Error"
     },
     "501": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/v1/route": {
   "get": {
    "summary": "A routing decision",
    "operationId": "route",
    "responses": {
     "200": {
      "description": "the chosen peer",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "node"
         ],
         "properties": {
          "node": {
           "type": "string"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "421": {
      "$ref": "#/components/responses/Error"
     },
     "501": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "parameters": [
     {
      "name": "policy",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "key",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9._~!$&'()*+,;=:@-]{1,255}$"
      }
     },
     {
      "name": "affinity",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/v1/load": {
   "post": {
    "summary": "The app's own load",
    "operationId": "reportLoad",
    "responses": {
     "204": {
      "description": "recorded"
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "421": {
      "$ref": "#/components/responses/Error"
     },
     "422": {
      "$ref": "#/components/responses/Error"
     },
     "501": {
      "$ref": "#/components/responses/Error"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "inFlight": {
          "type": "integer"
         },
         "latencyMs": {
          "type": "number"
         },
         "requestRate": {
          "type": "number"
         },
         "errorRate": {
          "type": "number"
         },
         "utilization": {
          "type": "number"
         }
        }
       }
      }
     }
    }
   }
  },
  "/healthz": {
   "get": {
    "summary": "Liveness",
    "operationId": "healthz",
    "responses": {
     "200": {
      "description": "alive",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "status"
         ],
         "properties": {
          "status": {
           "const": "ok"
          }
         }
        }
       }
      }
     },
     "421": {
      "$ref": "#/components/responses/Error"
     },
     "501": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/readyz": {
   "get": {
    "summary": "Readiness (store quorum with hysteresis, mesh joined)",
    "operationId": "readyz",
    "responses": {
     "200": {
      "description": "ready",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "421": {
      "$ref": "#/components/responses/Error"
     },
     "501": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/metrics": {
   "get": {
    "summary": "Prometheus text",
    "operationId": "metrics",
    "responses": {
     "200": {
      "description": "metrics",
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "421": {
      "$ref": "#/components/responses/Error"
     },
     "501": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/openapi.json": {
   "get": {
    "summary": "This document",
    "operationId": "openapi",
    "responses": {
     "200": {
      "description": "OpenAPI 3.1",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "421": {
      "$ref": "#/components/responses/Error"
     },
     "501": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  }
 },
 "components": {
  "schemas": {
   "Session": {
    "type": "object",
    "required": [
     "id",
     "version",
     "data",
     "createdAt",
     "lastAccessAt",
     "idleExpiresAt",
     "absoluteExpiresAt"
    ],
    "properties": {
     "id": {
      "type": "string"
     },
     "version": {
      "type": "integer"
     },
     "data": {
      "type": "object"
     },
     "createdAt": {
      "type": "string"
     },
     "lastAccessAt": {
      "type": "string"
     },
     "idleExpiresAt": {
      "type": "string"
     },
     "absoluteExpiresAt": {
      "type": "string"
     }
    }
   },
   "StoredResponse": {
    "type": "object",
    "required": [
     "status",
     "headers",
     "body"
    ],
    "properties": {
     "status": {
      "type": "integer"
     },
     "headers": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      }
     },
     "body": {
      "type": "string"
     }
    }
   },
   "Error": {
    "type": "object",
    "required": [
     "error"
    ],
    "properties": {
     "error": {
      "type": "object",
      "required": [
       "code",
       "message"
      ],
      "properties": {
       "code": {
        "type": "string"
       },
       "message": {
        "type": "string"
       }
      }
     }
    }
   }
  },
  "responses": {
   "Error": {
    "description": "an error, with a precise code",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   }
  }
 }
}
"""#
}
