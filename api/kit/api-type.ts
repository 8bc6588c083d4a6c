import type { AnyElysia, Elysia, RouteBase } from 'elysia'

/**
 * The routes a feature adds to its service's kit app, with the kit's own, as
 * the type of the app it returns records them (paths, body, query, params and
 * answers): what a typed client reads.
 */
export type RoutesOf<Feature extends (...args: never[]) => AnyElysia> = ReturnType<Feature>['~Routes']

/**
 * An app with the routes `Routes` (the routes of a service's features,
 * merged): the type Eden's `treaty` is given. Only its routes are read;
 * nothing is known of its hooks.
 */
export type ApiOf<Routes extends RouteBase> = Elysia<any, any, any, any, Routes, any, any>
