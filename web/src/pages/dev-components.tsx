import { useMemo, useState } from 'preact/hooks';
import { fieldErrors, Form, FormError, TextField } from '../components/form';
import { PriceChart, type ChartBar, type ChartLine, type ChartMarker } from '../components/price-chart';

/**
 * /app/dev/components: the shared components on made-up data (not in the nav).
 * The browser smoke test renders it to check the chart and the form helpers;
 * page authors use it to see them without data.
 */
export default function DevComponents() {
  const { bars, sma, markers, equity, hold } = useMemo(() => {
    const bars: ChartBar[] = [];
    let close = 100;
    const start = Date.UTC(2018, 0, 2);
    for (let i = 0; i < 160; i++) {
      const date = new Date(start + i * 86_400_000).toISOString().slice(0, 10);
      const open = close;
      close = Math.max(1, open * (1 + Math.sin(i / 9) * 0.012 + (((i * 7919) % 13) - 6) / 900));
      bars.push({ date, open, high: Math.max(open, close) * 1.006, low: Math.min(open, close) * 0.994, close });
    }
    const sma: ChartLine = {
      label: 'SMA 21',
      points: bars.map((b, i) => ({
        date: b.date,
        value: i < 20 ? null : bars.slice(i - 20, i + 1).reduce((s, x) => s + x.close, 0) / 21,
      })),
    };
    const markers: ChartMarker[] = [
      { date: bars[40].date, side: 'BUY' },
      { date: bars[95].date, side: 'SELL' },
    ];
    const equity: ChartLine = {
      label: 'Strategy',
      points: bars.map((b, i) => ({
        date: b.date,
        value: 10_000 * (i < 40 ? 1 : i < 95 ? b.close / bars[40].close : bars[95].close / bars[40].close),
      })),
    };
    const hold: ChartLine = {
      label: 'Buy and hold',
      color: '#888',
      points: bars.map((b) => ({ date: b.date, value: (10_000 * b.close) / bars[0].close })),
    };
    return { bars, sma, markers, equity, hold };
  }, []);
  const overlays = useMemo(() => [sma], [sma]);
  const lower = useMemo(() => [equity, hold], [equity, hold]);
  const [email, setEmail] = useState('not-an-address');
  const errors = fieldErrors(
    { error: 'bad_request', message: 'body.email: invalid email address; something else went wrong' },
    ['email'],
  );
  return (
    <section>
      <h1>Components</h1>
      <h2>Price chart</h2>
      <PriceChart
        bars={bars}
        overlays={overlays}
        markers={markers}
        lowerPane={lower}
        focusDate={bars[95].date}
        label="Made-up prices with a 21-day average, one BUY and one SELL, and an equity curve"
      />
      <h2>Form field with an error from the API</h2>
      <Form onSubmit={(e) => e.preventDefault()}>
        <TextField
          label="Email"
          name="email"
          type="email"
          value={email}
          onInput={(e) => setEmail((e.target as HTMLInputElement).value)}
          error={errors.email}
          hint="The address signals go to"
        />
        <FormError error={errors['']} />
      </Form>
    </section>
  );
}
