module example.com/tagmango-webhooks

go 1.24
