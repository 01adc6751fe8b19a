// The reference app of the PayFlow brief (../shared seed 002, "Option 1"), copied verbatim as a
// benchmark baseline; prettier only removed trailing spaces and added trailing commas. The seed's
// package.json pins express ^4.18.2: bench/reference/use-express-4.cjs makes require('express')
// load express 4 (the API itself runs express 5).
/* eslint-disable @typescript-eslint/no-require-imports */
// app.js
const express = require('express');
const app = express();
const PORT = process.env.PORT || 3000;

// Health check
app.get('/health', (req, res) => {
  res.json({
    status: 'healthy',
    timestamp: new Date().toISOString(),
    version: process.env.APP_VERSION || '1.0.0',
  });
});

// Ready check (pour Kubernetes)
app.get('/ready', (req, res) => {
  // Simuler une v√©rification de d√©pendances
  const dbConnected = process.env.DB_HOST ? true : false;
  if (dbConnected) {
    res.json({ status: 'ready' });
  } else {
    res.status(503).json({ status: 'not ready', reason: 'database not configured' });
  }
});

// Endpoint m√©tier simul√©
app.post('/api/v1/payments', express.json(), (req, res) => {
  const { amount, currency } = req.body;
  if (!amount || amount <= 0) {
    return res.status(400).json({ error: 'Invalid amount' });
  }
  res.status(201).json({
    id: `pay_${Date.now()}`,
    amount,
    currency: currency || 'EUR',
    status: 'pending',
    created_at: new Date().toISOString(),
  });
});

// M√©triques Prometheus (basique)
app.get('/metrics', (req, res) => {
  res.set('Content-Type', 'text/plain');
  res.send(`
# HELP http_requests_total Total HTTP requests
# TYPE http_requests_total counter
http_requests_total{method="GET",path="/health"} 100
http_requests_total{method="POST",path="/api/v1/payments"} 42

# HELP app_info Application information
# TYPE app_info gauge
app_info{version="${process.env.APP_VERSION || '1.0.0'}"} 1
  `);
});

app.listen(PORT, () => {
  console.log(`PayFlow API running on port ${PORT}`);
});
