// An Express handler typed by openapi-typescript from the published OpenAPI document
// (see docs/schemas.md). CI generates ./tagmango-webhooks.d.ts and type-checks this
// file with tsc --strict; the @ts-expect-error lines prove the types are real.
import type { Request, Response } from "express";
import type { components, webhooks } from "./tagmango-webhooks";

type Payload<E extends keyof components["schemas"]> = components["schemas"][E];

// The body of a delivery, read from the webhooks entry rather than the schema name.
type Delivery<E extends keyof webhooks> =
  webhooks[E]["post"]["requestBody"]["content"]["application/json"];

export function courseCompleted(req: Request<object, unknown, Payload<"course.completed.50">>, res: Response): void {
  const { name, email, phone, courseId, lastProgressOn } = req.body;
  // phone is a JSON number in course events.
  const digits: string = phone.toFixed(0);
  // @ts-expect-error -- and not a string.
  phone.startsWith("+");
  console.log(name, email, digits, courseId, lastProgressOn);
  res.sendStatus(200);
}

export function webinarReminder(req: Request<object, unknown, Delivery<"webinar.reminder.all">>, res: Response): void {
  const body = req.body;
  // phone is a string in webinar reminders; timezone may be null.
  const phone: string = body.phone;
  const tz: string = body.timezone ?? "+05:30";
  // @ts-expect-error -- a nullable field is not a plain string.
  const creatorTz: string = body.creatorTimezone;
  // mangoes is one ", "-joined string.
  const mangoes: string[] = body.mangoes.split(", ");
  console.log(phone, tz, creatorTz, mangoes, body.webinarFromTime);
  res.sendStatus(200);
}

export function recurringOrder(req: Request<object, unknown, Payload<"order.recurring.created">>, res: Response): void {
  const { orderId, amountPayable, currency } = req.body;
  // Creator-defined custom fields arrive as extra top-level keys.
  const size: unknown = req.body["tshirtSize"];
  // @ts-expect-error -- a documented field cannot be left out.
  const incomplete: Payload<"order.recurring.created"> = { orderId };
  console.log(orderId, amountPayable.toFixed(2), currency, size, incomplete);
  res.sendStatus(200);
}
